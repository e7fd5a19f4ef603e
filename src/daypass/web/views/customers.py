"""Sub-customers and accounts, customer settings, API tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daypass.core import clock
from daypass.core.errors import DaypassError, NotFound
from daypass.customers.accounts import account_create
from daypass.customers.selectors import account_list, sub_customers, token_get, token_list
from daypass.customers.services import (
    customer_create_with_admin,
    customer_settings_update,
)
from daypass.customers.tokens import token_create, token_revoke
from daypass.web.error_messages import error_text
from daypass.web.forms import (
    AccountForm,
    CustomerSettingsForm,
    ServiceErrorsMixin,
    SubCustomerForm,
    TokenForm,
)
from daypass.web.selection import selected_customer
from daypass.web.views.page import console_view, render_page, run_action


def _customers_url(customer) -> str:
    return reverse("web:customers") + f"?customer={customer.number}"


def _create(
    request: HttpRequest,
    form: ServiceErrorsMixin,
    create: Callable[[dict[str, Any]], Any],
    *,
    success: Callable[[Any], str],
    next_url: str,
) -> HttpResponse | None:
    """Create from a valid form and go to `next_url`; None if the form (or the service) has
    errors, which the bound form then shows."""
    if not form.is_valid():
        return None
    try:
        created = create(form.cleaned_data)
    except NotFound:
        raise
    except DaypassError as error:
        form.add_service_error(error, error_text(error))
        return None
    messages.success(request, success(created))
    return HttpResponseRedirect(next_url)


@console_view
def customer_records(request: HttpRequest) -> HttpResponse:
    actor = request.user
    customer = selected_customer(request)
    customer_form = SubCustomerForm(prefix="customer")
    account_form = AccountForm(prefix="account")
    if request.method == "POST" and actor.is_admin:
        done = None
        if request.POST.get("form") == "customer":
            customer_form = SubCustomerForm(request.POST, prefix="customer")
            done = _create(
                request,
                customer_form,
                lambda data: customer_create_with_admin(
                    actor=actor,
                    parent=customer,
                    name=data["name"],
                    admin_username=data["admin_username"],
                    admin_password=data["admin_password"],
                    now=clock.now(),
                ),
                success=lambda child: (
                    _("Customer %(name)s (%(number)s) is created.")
                    % {"name": child.name, "number": child.number}
                ),
                next_url=_customers_url(customer),
            )
        elif request.POST.get("form") == "account":
            account_form = AccountForm(request.POST, prefix="account")
            done = _create(
                request,
                account_form,
                lambda data: account_create(
                    actor=actor,
                    customer=customer,
                    username=data["username"],
                    password=data["password"],
                    role=data["role"],
                    now=clock.now(),
                ),
                success=lambda account: (
                    _("Account %(username)s is created.") % {"username": account}
                ),
                next_url=_customers_url(customer),
            )
        if done is not None:
            return done
    subs = sub_customers(actor, customer)
    for sub in subs:
        sub.indent = 0.6 + 1.2 * (sub.depth - customer.depth - 1)
    return render_page(
        request,
        "web/customer_list.html",
        {
            "title": _("Sub-customers and accounts"),
            "sub_customers": subs,
            "accounts": account_list(customer),
            "customer_form": customer_form,
            "account_form": account_form,
            "can_manage": actor.is_admin,
            "can_manage_accounts": actor.is_admin and actor.customer_id == customer.pk,
        },
        customer=customer,
        nav="customers",
    )


@console_view
def customer_settings(request: HttpRequest) -> HttpResponse:
    actor = request.user
    customer = selected_customer(request)
    own_admin = actor.is_admin and actor.customer_id == customer.pk
    if request.method == "POST" and own_admin:
        form = CustomerSettingsForm(request.POST)
        if form.is_valid():
            return run_action(
                request,
                lambda: customer_settings_update(
                    actor=actor, customer=customer, now=clock.now(), **form.cleaned_data
                ),
                success=_("The settings are saved."),
                next_url=reverse("web:settings") + f"?customer={customer.number}",
            )
    form = CustomerSettingsForm(
        initial={
            "allow_superior_manage_licenses": customer.allow_superior_manage_licenses,
            "allow_auto_renew": customer.allow_auto_renew,
        }
    )
    return render_page(
        request,
        "web/customer_settings.html",
        {"title": _("Customer settings"), "form": form, "own_admin": own_admin},
        customer=customer,
        nav="settings",
    )


@console_view
def token_records(request: HttpRequest) -> HttpResponse:
    actor = request.user
    customer = selected_customer(request)
    form = TokenForm()
    new_secret = ""
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            token, new_secret = token_create(
                account=actor,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                now=clock.now(),
            )
            form = TokenForm()
            messages.success(
                request,
                _("Token %(name)s is created. Copy the secret now: it is not shown again.")
                % {"name": token.name},
            )
    return render_page(
        request,
        "web/token_list.html",
        {
            "title": _("API tokens"),
            "form": form,
            "tokens": token_list(actor),
            "now": clock.now(),
            "new_secret": new_secret,
        },
        customer=customer,
        nav="tokens",
    )


@require_POST
@console_view
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    actor = request.user
    token = token_get(actor, token_id)
    if request.POST.get("confirmed") != "1":
        # Without JavaScript there is no dialog: ask on a page, then post again confirmed.
        return render_page(
            request,
            "web/license_confirm.html",
            {
                "title": _("Revoke token"),
                "question": _(
                    "Revoke token %(name)s? Programs using it stop working at once; this cannot "
                    "be undone."
                )
                % {"name": token.name or token.prefix},
                "next": reverse("web:tokens"),
            },
            customer=selected_customer(request),
            nav="tokens",
        )
    return run_action(
        request,
        lambda: token_revoke(actor=actor, token=token, now=clock.now()),
        success=_("Token %(prefix)s… is revoked.") % {"prefix": token.prefix},
        next_url=reverse("web:tokens"),
    )
