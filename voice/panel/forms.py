"""Forms of the panel's side and of the ICTG's feedback to the child."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovTextInput
from wtforms import RadioField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length

from ..forms import Form, long_text, submit
from .service import REFERENCE_MAX

FEEDBACK_HOW_LABELS = {
    "in_person": _l("In person"),
    "interpreter": _l("In person, with an interpreter"),
    "phone": _l("By phone or video call"),
    "letter": _l("In a letter or message"),
}
# How the child was told, as the panel sees it: also on the device, from child mode.
TOLD_HOW_LABELS = {**FEEDBACK_HOW_LABELS,
                   "on_device": _l("Shown on the device in the child's language")}


class ReferenceForm(Form):
    reference = StringField(_l("Your panel's reference for this case"), widget=GovTextInput(),
                            description=_l("The reference in your own case records. Do not "
                                           "use the child's name."),
                            validators=[InputRequired(message=_l("Enter your reference")),
                                        Length(max=REFERENCE_MAX, message=_l(
                                            "Must be %(max)d characters or fewer",
                                            max=REFERENCE_MAX))])
    submit = submit(_l("Save reference"))


class OutcomeForm(Form):
    decision = long_text(_l("What did the panel decide?"), _l("Enter what the panel decided"))
    considered = long_text(_l("How did the panel consider the child's views?"),
                           _l("Enter how the panel considered the child's views"),
                           description=_l("Say which of the child's views the panel weighed, "
                                          "and how they affected the decision."))
    message = long_text(_l("Message for the child"), _l("Write a message for the child"),
                        description=_l("Plain, short words the child will understand. Their "
                                       "ICTG will tell them."))
    submit = submit(_l("Record the outcome"))


class FeedbackForm(Form):
    how = RadioField(_l("How did you tell the child?"), widget=GovRadioInput(),
                     choices=list(FEEDBACK_HOW_LABELS.items()),
                     validators=[InputRequired(message=_l("Select how you told the child"))])
    note = long_text(_l("How did the child respond? (optional)"),
                     description=_l("Do not write the child's name."))
    submit = submit(_l("Record that the child was told"))


class ChairsForm(Form):
    chairs = SelectMultipleField(_l("Who chairs the panel?"), widget=GovCheckboxesInput(),
                                 description=_l("A chair sees which members have not yet "
                                                "read a child's views."))
    submit = submit(_l("Save"))
