from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import SelectField
from wtforms.validators import ValidationError

from ..forms import Form, code_field, password, submit, text
from . import passwords


class SignInForm(Form):
    email = text(_l("Email address"), 254, _l("Enter your email address"),
                 render_kw={"autocomplete": "username", "spellcheck": "false"})
    password = password(_l("Password"))
    submit = submit(_l("Continue"))


class CodeForm(Form):
    code = code_field()
    submit = submit(_l("Continue"))


class ReauthForm(Form):
    password = password(_l("Password"))
    code = code_field()
    submit = submit(_l("Confirm it is you"))


def _good_password(form, field):
    problem = passwords.problem(field.data or "", getattr(form, "user_inputs", []))
    if problem:
        raise ValidationError(problem)


class NewPasswordMixin:
    new_password = password(_l("New password"), _l("Enter a new password"))
    confirm = password(_l("Confirm new password"), _l("Enter the new password again"))

    def validate_new_password(self, field):
        _good_password(self, field)

    def validate_confirm(self, field):
        if field.data != self.new_password.data:
            raise ValidationError(_l("The passwords do not match"))


class AcceptInvitationForm(NewPasswordMixin, Form):
    display_name = text(_l("Your name"), 100, _l("Enter your name"),
                        description=_l("Shown to colleagues, never to children's records"))
    submit = submit(_l("Create account"))


class ChangePasswordForm(NewPasswordMixin, Form):
    password = password(_l("Current password"), _l("Enter your current password"))
    submit = submit(_l("Change password"))


class LanguageForm(Form):
    locale = SelectField(_l("Language for these pages"), widget=GovSelect())
    submit = submit(_l("Save language"))


class ConfirmForm(Form):
    """A button and its CSRF token."""
    submit = submit(_l("Continue"))
