"""Legal hold, erasure, closing a case and the retention period."""
from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovTextArea, GovTextInput
from wtforms import BooleanField, HiddenField, IntegerField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, StopValidation

from ..forms import Form, submit
from .service import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS

REASON_HINT = _l("Do not write the child's name or anything else that identifies them.")


def reason_field(label, message):
    return TextAreaField(label, widget=GovTextArea(), description=REASON_HINT,
                         validators=[InputRequired(message=message),
                                     Length(max=500, message=_l(
                                         "Must be %(max)d characters or fewer", max=500))])


class HoldForm(Form):
    # What the person saw: "set" or "lift". If the hold changed meanwhile, nothing happens.
    change = HiddenField(validators=[AnyOf(("set", "lift"))])
    reason = reason_field(_l("Reason"), _l("Enter the reason"))
    submit = submit(_l("Save"))


class EraseForm(Form):
    reason = reason_field(_l("Why is this child's record being erased?"),
                          _l("Enter why the record is being erased"))
    submit = submit(_l("Continue"))


class EraseConfirmForm(Form):
    reason = HiddenField(validators=[InputRequired(), Length(max=500)])
    understood = BooleanField(_l("I understand that this cannot be undone"),
                              widget=GovCheckboxInput(),
                              validators=[InputRequired(message=_l(
                                  "Confirm that you understand this cannot be undone"))])
    submit = submit(_l("Erase this child's record"))


class CloseForm(Form):
    change = HiddenField(validators=[AnyOf(("close", "reopen"))])
    submit = submit(_l("Continue"))


class DaysField(IntegerField):
    """A whole number of days, with one clear message for anything else."""

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None  # empty: InputRequired says so
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter the number of days as a whole number, like 365")) from None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class RetentionForm(Form):
    days = DaysField(
        _l("Days to keep a closed case"), widget=GovTextInput(),
        description=_l("Counted from the panel date or the day the case is closed, whichever is "
                       "later. Between %(low)d and %(high)d days.",
                       low=MIN_RETENTION_DAYS, high=MAX_RETENTION_DAYS),
        validators=[InputRequired(message=_l("Enter the number of days, like 365")),
                    NumberRange(min=MIN_RETENTION_DAYS, max=MAX_RETENTION_DAYS, message=_l(
                        "Enter a number of days between %(low)d and %(high)d",
                        low=MIN_RETENTION_DAYS, high=MAX_RETENTION_DAYS))])
    submit = submit(_l("Save"))
