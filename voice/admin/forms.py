from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField
from wtforms.validators import Email, InputRequired

from ..forms import Form, submit, text

ROLE_LABELS = {"ictg": _l("ICTG (Independent Child Trafficking Guardian)"),
               "advocate": _l("Advocate"), "panel_member": _l("Panel member"),
               "org_admin": _l("Organisation administrator"),
               "service_admin": _l("Service administrator")}
KIND_LABELS = {"provider": _l("Guardianship or advocacy provider"),
               "panel": _l("Multi-agency panel")}


def email_field():
    field = text(_l("Email address"), 254, _l("Enter an email address"))
    field.kwargs["validators"].append(Email(message=_l(
        "Enter an email address in the correct format, like name@example.org")))
    return field


class OrganisationForm(Form):
    name = text(_l("Organisation name"), 200, _l("Enter the organisation's name"))
    kind = RadioField(_l("Kind of organisation"), widget=GovRadioInput(),
                      choices=list(KIND_LABELS.items()),
                      validators=[InputRequired(message=_l("Select the kind of organisation"))])
    admin_email = email_field()
    submit = submit(_l("Create organisation and invite its administrator"))


class InviteForm(Form):
    email = email_field()
    role = RadioField(_l("Role"), widget=GovRadioInput(),
                      validators=[InputRequired(message=_l("Select a role"))])
    submit = submit(_l("Create invitation"))


class RoleForm(Form):
    role = RadioField(_l("Role"), widget=GovRadioInput(),
                      validators=[InputRequired(message=_l("Select a role"))])
    submit = submit(_l("Change role"))
