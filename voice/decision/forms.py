"""The advocate's (or an interpreter's) translation of the panel's message for the child."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect
from wtforms import FileField, RadioField, SelectField
from wtforms.validators import InputRequired

from ..forms import Form, long_text, submit
from ..review.routes import PROVENANCE_LABELS


class TranslationForm(Form):
    language = SelectField(_l("The child's language"), widget=GovSelect(),
                           validators=[InputRequired(message=_l("Select a language"))])
    message = long_text(_l("The panel's message, in the child's language"),
                        _l("Write the panel's message in the child's language"),
                        description=_l("Keep the panel's meaning; use words the child knows."))
    provenance = RadioField(_l("Who translated it?"), widget=GovRadioInput(),
                            choices=list(PROVENANCE_LABELS.items()),
                            validators=[InputRequired(message=_l("Select who translated it"))])
    recording = FileField(_l("The message read aloud (optional)"))
    submit = submit(_l("Save the translation"))
