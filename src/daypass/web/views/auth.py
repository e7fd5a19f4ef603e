"""Log in and out. Gateway accounts are machines: they use tokens, never the console."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from daypass.customers.models import Role


class ConsoleLoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong username or password."),
        "inactive": _("This account is disabled."),
        "no_console": _("This account cannot use the console."),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if user.customer_id is None or user.role == Role.GATEWAY:
            raise forms.ValidationError(self.error_messages["no_console"], code="no_console")


class ConsoleLoginView(auth_views.LoginView):
    template_name = "web/login.html"
    form_class = ConsoleLoginForm
    redirect_authenticated_user = True


class ConsoleLogoutView(auth_views.LogoutView):
    next_page = "web:login"
