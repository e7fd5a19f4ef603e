"""Log in and out. Gateway accounts are machines: they use tokens, never the console."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from daypass.core.clock import now as clock_now
from daypass.core.errors import DaypassError
from daypass.core.throttle import LoginThrottled, login_check
from daypass.customers.accounts import account_change_own_password
from daypass.customers.models import Role
from daypass.demo.logins import demo_sample_logins
from daypass.demo.tree import DEMO_PASSWORD
from daypass.web.error_messages import error_text
from daypass.web.forms import OwnPasswordForm
from daypass.web.views.page import console_view, render_page, safe_next


class ConsoleLoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong username or password."),
        "inactive": _("This account is disabled."),
        "no_console": _("This account cannot use the console."),
        "throttled": _("Too many failed logins. Try again in a few minutes."),
    }

    def clean(self):
        # The same throttle as POST /api/v1/tokens (core.throttle), so guessing passwords
        # through the console is no cheaper than through the API.
        wrong: list[forms.ValidationError] = []

        def check():
            try:
                super(ConsoleLoginForm, self).clean()
            except forms.ValidationError as error:
                if error.code != "invalid_login":
                    raise
                wrong.append(error)
                return None
            return self.user_cache

        try:
            login_check(
                username=self.cleaned_data.get("username") or "",
                address=self.request.META.get("REMOTE_ADDR") if self.request else None,
                now=clock_now(),
                check=check,
            )
        except LoginThrottled:
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled"
            ) from None
        if wrong:
            raise wrong[0]
        return self.cleaned_data

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if user.customer_id is None or user.role == Role.GATEWAY:
            raise forms.ValidationError(self.error_messages["no_console"], code="no_console")


class ConsoleLoginView(auth_views.LoginView):
    template_name = "web/login.html"
    form_class = ConsoleLoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # While the database holds the demo, list its sample logins (one per level and role).
        context["sample_logins"] = demo_sample_logins()
        context["demo_password"] = DEMO_PASSWORD
        return context


class ConsoleLogoutView(auth_views.LogoutView):
    next_page = "web:login"


@console_view
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password. An account whose password someone else chose is sent here
    by every console page until it has chosen its own (`console_view`)."""
    actor = request.user
    next_url = safe_next(request, reverse("web:home"))
    form = OwnPasswordForm()
    if request.method == "POST":
        form = OwnPasswordForm(request.POST)
        if form.is_valid():
            try:
                account = account_change_own_password(
                    actor=actor,
                    current_password=form.cleaned_data["current_password"],
                    password=form.cleaned_data["password"],
                    now=clock_now(),
                )
            except DaypassError as error:
                form.add_service_error(error, error_text(error))
            else:
                # The password hash is part of the session: keep this session signed in.
                update_session_auth_hash(request, account)
                messages.success(request, _("Your password is changed."))
                return HttpResponseRedirect(next_url)
    return render_page(
        request,
        "web/password_change.html",
        {
            "title": _("Change your password"),
            "form": form,
            "forced": actor.must_change_password,
            "next": next_url,
        },
        customer=actor.customer,
        nav="password",
    )
