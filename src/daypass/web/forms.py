"""Forms of the console. They parse and check input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from daypass.core.errors import DaypassError
from daypass.customers.models import Account

ACCOUNT_ROLE_CHOICES = [
    ("admin", _("Administrator")),
    ("operator", _("Operator")),
    ("viewer", _("Viewer")),
]


def _username_unique(value: str) -> str:
    if Account.objects.filter(username=value).exists():
        raise forms.ValidationError(_("This username is taken."))
    return value


class ServiceErrorsMixin:
    """Put a service's `DaypassError` next to the field it names, or above the form."""

    def add_service_error(self, error: DaypassError, message: str) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, message)


class SubCustomerForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Customer name"), max_length=200)
    admin_username = forms.CharField(label=_("Administrator username"), max_length=150)
    admin_password = forms.CharField(
        label=_("Administrator password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 8 characters."),
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_admin_username(self) -> str:
        return _username_unique(self.cleaned_data["admin_username"].strip())

    def clean_admin_password(self) -> str:
        password = self.cleaned_data["admin_password"]
        validate_password(password)
        return password


class AccountForm(ServiceErrorsMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 8 characters."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ACCOUNT_ROLE_CHOICES, initial="operator")

    def clean_username(self) -> str:
        return _username_unique(self.cleaned_data["username"].strip())

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class TokenForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “gateway eu-1”."),
    )


class CustomerSettingsForm(forms.Form):
    """Both switches of the settings page; an unchecked box is off."""

    allow_superior_manage_licenses = forms.BooleanField(
        label=_("Allow superior to manage licenses"), required=False
    )
    allow_auto_renew = forms.BooleanField(label=_("Auto-renew"), required=False)
