"""The ICTG's record of how the child's consent was given."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovTextArea
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from .. import i18n
from ..forms import Form, submit
from . import service

HOW = {"spoken": _l("The child said yes"), "tapped": _l("The child tapped yes"),
       "interpreter": _l("Through an interpreter")}
UNDERSTOOD = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No")}


class ConsentDetailsForm(Form):
    given_how = RadioField(_l("How did the child give their agreement?"), widget=GovRadioInput(),
                           choices=list(HOW.items()),
                           validators=[InputRequired(message=_l("Select how the agreement was given"))])
    interpreter_language = SelectField(_l("Language the interpreter used"), widget=GovSelect())
    understood = RadioField(_l("In your judgement, did the child understand?"),
                            widget=GovRadioInput(), choices=list(UNDERSTOOD.items()),
                            validators=[InputRequired(message=_l(
                                "Select whether the child understood"))])
    present = TextAreaField(_l("Who was present"), widget=GovTextArea(),
                            validators=[InputRequired(message=_l("Enter who was present")),
                                        Length(max=500, message=_l(
                                            "Must be %(max)d characters or fewer", max=500))])
    submit = submit(_l("Save"))

    def validate_interpreter_language(self, field):
        if self.given_how.data == "interpreter" and not field.data:
            raise ValidationError(_l("Select the language the interpreter used"))


def details_form(capture) -> ConsentDetailsForm:
    """The form for how the child agreed, with the interpreter's languages and who is present."""
    form = ConsentDetailsForm()
    form.interpreter_language.choices = [("", _("No interpreter"))] + [
        (code, i18n.staff_language_name(code)) for code in i18n.CHILD_LANGUAGES]
    if not form.is_submitted():
        form.present.data = service.present_now(capture)
    return form
