"""Staff forms of child mode: handing the device to the child."""
from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovRadioInput, GovSelect, GovTextArea
from wtforms import PasswordField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from ..forms import Form, submit


class StartSessionForm(Form):
    questionnaire = RadioField(_l("Questionnaire"), widget=GovRadioInput(),
                               validators=[InputRequired(message=_l("Select a questionnaire"))])
    language = SelectField(_l("The child's language for this session"), widget=GovSelect(),
                           validators=[InputRequired(message=_l("Select a language"))])
    present = TextAreaField(_l("Who is with the child"), widget=GovTextArea(),
                            description=_l("For example: me (ICTG), an interpreter, the foster carer. "
                                           "Roles are enough; names are not needed."),
                            validators=[InputRequired(message=_l("Enter who is with the child")),
                                        Length(max=500, message=_l(
                                            "Must be %(max)d characters or fewer", max=500))])
    pin = PasswordField(_l("Session PIN (optional)"), widget=GovPasswordInput(),
                        description=_l("4 to 8 digits to leave child mode at the end. "
                                       "Without one, you will need your password."),
                        validators=[Optional(), Regexp(r"^[0-9]{4,8}$", message=_l(
                            "The PIN must be 4 to 8 digits"))],
                        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    submit = submit(_l("Hand the device to the child"))
