"""Forms of the console. They parse and check input; the services decide and write."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from daypass.core.errors import DaypassError, ValidationFailed
from daypass.core.limits import NAME_MAX_LENGTH, TOKEN_NAME_MAX_LENGTH, USERNAME_MAX_LENGTH
from daypass.customers.accounts import password_check
from daypass.customers.models import Account
from daypass.customers.tokens import MAX_TOKEN_DAYS

ACCOUNT_ROLE_CHOICES = [
    ("admin", _("Administrator")),
    ("operator", _("Operator")),
    ("viewer", _("Viewer")),
]


def _username_unique(value: str) -> str:
    if Account.objects.filter(username=value).exists():
        raise forms.ValidationError(_("This username is taken."))
    return value


def _check_password(form: forms.Form, password_field: str, username: str) -> None:
    """The service's password rules (customers.accounts.password_check), shown with the form's
    other errors at once."""
    password = form.cleaned_data.get(password_field)
    if password is None:
        return
    try:
        password_check(password, account=Account(username=username or ""))
    except ValidationFailed as error:
        form.add_error(password_field, error.message)


class ServiceErrorsMixin:
    """Put a service's `DaypassError` next to the field it names, or above the form."""

    def add_service_error(self, error: DaypassError, message: str) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, message)


class SubCustomerForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Customer name"), max_length=NAME_MAX_LENGTH)
    admin_username = forms.CharField(
        label=_("Administrator username"), max_length=USERNAME_MAX_LENGTH
    )
    admin_password = forms.CharField(
        label=_("Administrator password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 8 characters."),
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_admin_username(self) -> str:
        return _username_unique(self.cleaned_data["admin_username"].strip())

    def clean(self):
        data = super().clean()
        _check_password(self, "admin_password", self.data.get(self.add_prefix("admin_username")))
        return data


class AccountForm(ServiceErrorsMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=USERNAME_MAX_LENGTH)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 8 characters."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ACCOUNT_ROLE_CHOICES, initial="operator")

    def clean_username(self) -> str:
        return _username_unique(self.cleaned_data["username"].strip())

    def clean(self):
        data = super().clean()
        _check_password(self, "password", self.data.get(self.add_prefix("username")))
        return data


class TokenForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=TOKEN_NAME_MAX_LENGTH,
        help_text=_("What the token is for, e.g. “gateway eu-1”."),
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        help_text=_("Leave empty for a token that does not expire."),
    )


class CustomerSettingsForm(forms.Form):
    """Both switches of the settings page; an unchecked box is off."""

    allow_superior_manage_licenses = forms.BooleanField(
        label=_("Allow superior to manage licenses"), required=False
    )
    allow_auto_renew = forms.BooleanField(label=_("Auto-renew"), required=False)


class OwnPasswordForm(ServiceErrorsMixin, forms.Form):
    """Change one's own password (also the first-sign-in page); the service checks the rules."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 8 characters, not a common password, not only digits, not like your username."
        ),
    )
    password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two new passwords differ."))
        return data


# --- platform operator (SPEC 13) -----------------------------------------------------------
# The choices (license types, device models, customers) are filled in by the view; the services
# check every value again.


class ManyOptionsSelect(forms.Select):
    """A `<select>` written in Python: Django renders each option through a template, which for
    the platform's thousand customers cost about 0.5 s per select (bench/pages.py). Flat
    choices only (no groups); the same markup otherwise."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        options = option_tags(self.choices, {str(v) for v in self.format_value(value)})
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308 (escaped)


def option_tags(choices: Iterable[tuple[Any, Any]], chosen: Collection[str] = ()) -> str:
    """`<option>` tags of (value, label) pairs, escaped, those in `chosen` selected: for lists
    as long as a platform's customers, where a template loop costs ~0.3 ms per option."""
    return mark_safe(  # noqa: S308 (every value is escaped)
        "".join(
            f'<option value="{escape(str(key))}"{" selected" if str(key) in chosen else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in choices
        )
    )


class IssueForm(ServiceErrorsMixin, forms.Form):
    type = forms.ChoiceField(label=_("License type"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    customer = forms.ChoiceField(
        label=_("For customer"),
        required=False,
        widget=ManyOptionsSelect,
        help_text=_("Leave empty to keep them in the platform's stock; otherwise they are sold."),
    )


class LicenseTypeForm(ServiceErrorsMixin, forms.Form):
    code = forms.CharField(label=_("License code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    days = forms.IntegerField(label=_("Days"), min_value=1)
    models = forms.MultipleChoiceField(label=_("Model range"), widget=forms.CheckboxSelectMultiple)
    charge_days = forms.IntegerField(
        label=_("Days per charge"),
        min_value=1,
        initial=1,
        help_text=_("Days deducted at each charge."),
    )
    period_hours = forms.IntegerField(
        label=_("Hours per charge"),
        min_value=1,
        initial=24,
        help_text=_("Usage time one charge pays for."),
    )


class DeviceModelForm(ServiceErrorsMixin, forms.Form):
    code = forms.CharField(label=_("Model code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)


class DeviceRegisterForm(ServiceErrorsMixin, forms.Form):
    number = forms.CharField(label=_("Device number"), max_length=64)
    model = forms.ChoiceField(label=_("Model"))
    customer = forms.ChoiceField(label=_("Owner"), widget=ManyOptionsSelect)


class TopUpForm(ServiceErrorsMixin, forms.Form):
    days = forms.IntegerField(label=_("Days to add"), min_value=1)


class ClearBlacklistForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Why the blacklist is lifted by hand, for the audit trail."),
    )


class AccountEditForm(ServiceErrorsMixin, forms.Form):
    """An own admin changes an account's role and email (the service checks both)."""

    role = forms.ChoiceField(label=_("Role"), choices=ACCOUNT_ROLE_CHOICES)
    email = forms.CharField(label=_("Email"), required=False, max_length=254)


class AccountPasswordForm(ServiceErrorsMixin, forms.Form):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("The account must choose its own password at its next sign-in."),
    )
