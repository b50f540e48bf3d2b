from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSelect
from wtforms import RadioField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired

from ..forms import Form, date_field, submit, text
from ..models import AGE_BANDS

AGE_BAND_LABELS = {"4-7": _l("4 to 7"), "8-11": _l("8 to 11"), "12-15": _l("12 to 15"),
                   "16-17": _l("16 to 17")}


class CaseDetailsForm(Form):
    name = text(_l("The name the child wants to be called"), 80,
                _l("Enter the name the child wants to be called"),
                description=_l("Only the child's team sees it. It never appears in a web address, "
                               "an email or a notification."))
    age_band = RadioField(_l("Age"), widget=GovRadioInput(),
                          choices=[(band, AGE_BAND_LABELS[band]) for band in AGE_BANDS],
                          validators=[InputRequired(message=_l("Select the child's age"))])
    languages = SelectMultipleField(_l("Languages the child prefers"), widget=GovCheckboxesInput(),
                                    validators=[InputRequired(message=_l(
                                        "Select at least one language"))])
    panel_date = date_field(_l("Panel date"), _l("Enter the panel date, for example 27 3 2027"),
                            description=_l("For example, 27 3 2027"))


class NewCaseForm(CaseDetailsForm):
    panel = SelectField(_l("Panel"), widget=GovSelect(),
                        validators=[InputRequired(message=_l("Select the panel"))])
    ictg = SelectField(_l("ICTG"), widget=GovSelect())
    advocate = SelectField(_l("Advocate"), widget=GovSelect())
    submit = submit(_l("Create case"))


class EditCaseForm(CaseDetailsForm):
    submit = submit(_l("Save changes"))


class AssignForm(Form):
    ictg = SelectField(_l("ICTG"), widget=GovSelect())
    advocate = SelectField(_l("Advocate"), widget=GovSelect())
    submit = submit(_l("Save assignment"))
