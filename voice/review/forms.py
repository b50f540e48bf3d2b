"""Forms of the advocate's review and of the child's withdrawal of sharing."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovRadioInput
from wtforms import BooleanField, RadioField
from wtforms.validators import InputRequired

from ..forms import Form, long_text, submit

NO_NAMES = _l("Do not write the child's name, address or anything else that identifies them.")

WITHDRAWAL_HOW_LABELS = {
    "in_person": _l("The child told me in person"),
    "interpreter": _l("The child told me through an interpreter"),
    "phone": _l("The child told me by phone or video call"),
    "writing": _l("The child wrote to me"),
}


class SendBackForm(Form):
    reason = long_text(_l("Why does the ICTG need another session with the child?"),
                       _l("Enter why you are sending it back"), description=NO_NAMES)
    submit = submit(_l("Send back to the ICTG"))


class ConcernForm(Form):
    concern = long_text(_l("What is the concern?"), _l("Describe the concern"),
                        description=_l("The child's ICTG and your organisation's administrators "
                                       "are told to sign in and read it. It is never sent to "
                                       "the panel."))
    submit = submit(_l("Raise the concern"))


class WithdrawForm(Form):
    what = RadioField(_l("What does the child want to stop sharing?"), widget=GovRadioInput(),
                      validators=[InputRequired(message=_l(
                          "Select what the child wants to stop sharing"))])
    how = RadioField(_l("How did the child tell you?"), widget=GovRadioInput(),
                     choices=list(WITHDRAWAL_HOW_LABELS.items()),
                     validators=[InputRequired(message=_l("Select how the child told you"))])
    note = long_text(_l("Anything else about how the child told you (optional)"),
                     description=NO_NAMES)
    childs_decision = BooleanField(
        _l("The child told me this is what they want. It is their decision, not mine."),
        widget=GovCheckboxInput(),
        validators=[InputRequired(message=_l("Confirm that this is the child's own decision"))])
    submit = submit(_l("Stop sharing"))
