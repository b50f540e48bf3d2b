"""What the person who acknowledges a safety alert did."""
from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import Form, submit
from .service import ACTION_MAX


class AcknowledgeForm(Form):
    action = TextAreaField(
        _l("What did you do?"), widget=GovTextArea(),
        description=_l("For example: spoke with the child and their carer, made a referral. "
                       "Only the child's team, the org admins and the safeguarding leads can "
                       "read this."),
        validators=[DataRequired(message=_l("Enter what you did")),
                    Length(max=ACTION_MAX, message=_l("Must be %(max)d characters or fewer",
                                                      max=ACTION_MAX))])
    submit = submit(_l("Record that I acted on this alert"))


class LeadForm(Form):
    submit = submit(_l("Change"))
