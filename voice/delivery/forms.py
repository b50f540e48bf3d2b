from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import HiddenField, SelectMultipleField
from wtforms.validators import InputRequired

from ..forms import Form, submit, text
from .service import EVENT_LABELS, EVENT_TYPES


class EndpointForm(Form):
    name = text(_l("Name"), 100, _l("Enter a name for the endpoint"),
                description=_l("So you can tell your endpoints apart, for example "
                               "‘Case record system’"))
    url = text(_l("Web address (URL)"), 2000, _l("Enter the web address"),
               description=_l("It must start with https://. voice sends each event to it as an "
                              "HTTP POST request."))
    events = SelectMultipleField(
        _l("Events to send"), widget=GovCheckboxesInput(),
        choices=[(event, EVENT_LABELS[event]) for event in EVENT_TYPES],
        validators=[InputRequired(message=_l("Select at least one event"))])
    submit = submit(_l("Add endpoint"))


class PickForm(Form):
    """A button that acts on one item of a list (a delivery, a device)."""
    item = HiddenField(validators=[InputRequired()])
