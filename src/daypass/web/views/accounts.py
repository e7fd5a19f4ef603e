"""Accounts of the selected customer (SPEC 13): the list; for the customer's own admins, change
role and email, deactivate and reactivate, set a new password. Superiors see the list only."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daypass.core import clock
from daypass.customers.accounts import account_set_password, account_update
from daypass.customers.selectors import account_list
from daypass.web.forms import AccountEditForm, AccountPasswordForm
from daypass.web.selection import selected_customer
from daypass.web.views.page import console_view, render_page, run_action


def account_get(customer, username: str):
    """One account of the (already scoped) customer, or 404."""
    account = account_list(customer).filter(username=username).first()
    if account is None:
        raise Http404("Account not found.")
    return account


def _accounts_url(customer) -> str:
    return reverse("web:accounts") + f"?customer={customer.number}"


@console_view
def account_records(request: HttpRequest) -> HttpResponse:
    actor = request.user
    customer = selected_customer(request)
    return render_page(
        request,
        "web/account_list.html",
        {
            "title": _("Accounts"),
            "accounts": account_list(customer),
            "own_admin": actor.is_admin and actor.customer_id == customer.pk,
            "role_choices": AccountEditForm.base_fields["role"].choices,
        },
        customer=customer,
        nav="accounts",
    )


def _form_page(request, customer, *, title: str, form, submit: str) -> HttpResponse:
    """The dialog's form as a page (without JavaScript, or to show a form's errors)."""
    return render_page(
        request,
        "web/account_form.html",
        {"title": title, "form": form, "submit": submit, "back": _accounts_url(customer)},
        customer=customer,
        nav="accounts",
    )


@console_view
def account_edit(request: HttpRequest, username: str) -> HttpResponse:
    """Role and email: the dialog posts here; a GET shows the same form as a page."""
    customer = selected_customer(request)
    back = _accounts_url(customer)
    account = account_get(customer, username)
    title = _("Edit account %(username)s") % {"username": account.username}
    if request.method != "POST":
        form = AccountEditForm(initial={"role": account.role, "email": account.email})
        return _form_page(request, customer, title=title, form=form, submit=_("Save"))
    form = AccountEditForm(request.POST)
    if not form.is_valid():
        return _form_page(request, customer, title=title, form=form, submit=_("Save"))
    return run_action(
        request,
        lambda: account_update(
            actor=request.user,
            customer=customer,
            username=username,
            role=form.cleaned_data["role"],
            email=form.cleaned_data["email"],
            now=clock.now(),
        ),
        success=_("Account %(username)s is saved.") % {"username": username},
        next_url=back,
    )


@require_POST
@console_view
def account_active(request: HttpRequest, username: str) -> HttpResponse:
    """Deactivate (after a confirmation) or reactivate."""
    customer = selected_customer(request)
    active = request.POST.get("active") == "true"
    return run_action(
        request,
        lambda: account_update(
            actor=request.user,
            customer=customer,
            username=username,
            active=active,
            now=clock.now(),
        ),
        success=(
            _("Account %(username)s is active again.")
            if active
            else _("Account %(username)s is deactivated: it can no longer sign in or use tokens.")
        )
        % {"username": username},
        next_url=_accounts_url(customer),
    )


@console_view
def account_password(request: HttpRequest, username: str) -> HttpResponse:
    customer = selected_customer(request)
    account = account_get(customer, username)
    title = _("Set a new password for %(username)s") % {"username": account.username}
    form = AccountPasswordForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return _form_page(request, customer, title=title, form=form, submit=_("Set password"))
    return run_action(
        request,
        lambda: account_set_password(
            actor=request.user,
            customer=customer,
            username=username,
            password=form.cleaned_data["password"],
            now=clock.now(),
        ),
        success=_(
            "A new password is set for %(username)s; it must choose its own at its next sign-in."
        )
        % {"username": username},
        next_url=_accounts_url(customer),
    )
