"""Shared form pieces: GOV.UK widgets with translated messages."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (GovDateInput, GovPasswordInput, GovSubmitInput,
                                                GovTextArea, GovTextInput)
from wtforms import DateField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from .compression import MaskedCSRF


class Form(FlaskForm):
    """Base for every form: CSRF on (its token masked in every page), GOV.UK markup."""

    class Meta:
        csrf_class = MaskedCSRF


def text(label, max_length, message, **kwargs):
    return StringField(label, widget=GovTextInput(),
                       validators=[InputRequired(message=message),
                                   Length(max=max_length, message=_l(
                                       "Must be %(max)d characters or fewer", max=max_length))],
                       **kwargs)


def long_text(label, message=None, max_length=10000, **kwargs):
    validators = [InputRequired(message=message)] if message else [Optional()]
    validators.append(Length(max=max_length, message=_l("Must be %(max)d characters or fewer",
                                                        max=max_length)))
    return TextAreaField(label, widget=GovTextArea(), validators=validators, **kwargs)


def password(label, message=None):
    return PasswordField(label, widget=GovPasswordInput(),
                         validators=[InputRequired(message=message or _l("Enter your password")),
                                     Length(max=128, message=_l(
                                         "Password must be 128 characters or fewer"))])


def code_field():
    return StringField(_l("Code"), widget=GovTextInput(),
                       description=_l("The 6-digit code from your authenticator app, "
                                      "or one of your recovery codes"),
                       validators=[InputRequired(message=_l("Enter the code")),
                                   Length(max=20, message=_l("Enter the 6-digit code"))])


def submit(label):
    return SubmitField(label, widget=GovSubmitInput())


class DateInput(GovDateInput):
    """GOV.UK date input with translated part labels."""

    def map_gov_params(self, field, **kwargs):
        if field.raw_data is not None and len(field.raw_data) != 3:
            field.raw_data = (list(field.raw_data) + ["", "", ""])[:3]
        params = super().map_gov_params(field, **kwargs)
        for item, label in zip(params["items"], (_("Day"), _("Month"), _("Year"))):
            item["label"] = label
            item["attributes"] = {"inputmode": "numeric"}
        return params


def date_field(label, message, **kwargs):
    return DateField(label, widget=DateInput(), format="%d %m %Y",
                     validators=[InputRequired(message=message)], **kwargs)
