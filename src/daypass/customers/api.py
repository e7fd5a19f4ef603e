"""API: tokens, the current account, customers and accounts."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from daypass.core import clock
from daypass.core.api import ERROR_RESPONSES, page_of
from daypass.core.errors import Unauthenticated
from daypass.core.schemas import ErrorOut, PageQuery
from daypass.core.tenancy import customer_in_scope
from daypass.core.throttle import login_check
from daypass.customers.accounts import (
    account_change_own_password,
    account_create,
    account_set_password,
    account_update,
)
from daypass.customers.auth import BearerToken, idempotent
from daypass.customers.models import Account, ApiToken
from daypass.customers.schemas import (
    AccountCreateIn,
    AccountDetailOut,
    AccountOut,
    AccountPage,
    AccountUpdateIn,
    CustomerCreateIn,
    CustomerOut,
    CustomerPage,
    CustomerSettingsIn,
    MeOut,
    OwnPasswordIn,
    PasswordSetIn,
    TokenIn,
    TokenOut,
)
from daypass.customers.selectors import account_list, customer_get, customer_subtree
from daypass.customers.services import customer_create_with_admin, customer_settings_update
from daypass.customers.shapes import customer_out
from daypass.customers.tokens import token_create, token_revoke

router = Router(tags=["customers"])


def _console_or_api_account(request: HttpRequest, username: str, password: str) -> Account | None:
    """The active account with this password that belongs to a customer, or None."""
    account = authenticate(request, username=username, password=password)
    return account if account is not None and account.customer_id is not None else None


@router.post(
    "/tokens",
    auth=None,
    response={
        201: TokenOut,
        400: ErrorOut,
        401: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Log in: trade a username and password for a bearer token",
)
def token_login(request: HttpRequest, payload: TokenIn):
    now = clock.now()
    account = login_check(
        username=payload.username,
        address=request.META.get("REMOTE_ADDR") or None,
        now=now,
        check=lambda: _console_or_api_account(request, payload.username, payload.password),
    )
    if account is None:
        raise Unauthenticated(message="Wrong username or password.")
    _token, secret = token_create(
        account=account, name="api login", now=now, expires_in_days=payload.expires_in_days
    )
    return Status(201, {"token": secret})


@router.delete(
    "/tokens/current", auth=BearerToken(any_role=True), response={204: None, **ERROR_RESPONSES}
)
def token_logout(request: HttpRequest):
    """Revoke the token this request was made with."""
    token = ApiToken.objects.select_related("account__customer").get(pk=request.auth.api_token_id)
    token_revoke(actor=request.auth, token=token, now=clock.now())
    return Status(204, None)


@router.get("/me", response={200: MeOut, **ERROR_RESPONSES})
def me(request: HttpRequest):
    account: Account = request.auth
    return {
        "username": account.username,
        "role": account.role,
        "customer": customer_out(account.customer),
    }


class CustomerListQuery(PageQuery):
    customer: str | None = None


@router.get("/customers", response={200: CustomerPage, **ERROR_RESPONSES})
def customer_subtree_endpoint(request: HttpRequest, query: Query[CustomerListQuery]):
    """The subtree of the selected customer (your own by default), self first."""
    customers = customer_subtree(request.auth, query.customer)
    return page_of(
        customers, query, lambda c: customer_out(c, c.parent.number if c.parent else None)
    )


@router.post("/customers", response={201: CustomerOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def customer_create_with_admin_endpoint(request: HttpRequest, payload: CustomerCreateIn):
    actor: Account = request.auth
    parent = customer_get(actor, payload.parent) if payload.parent else actor.customer
    customer = customer_create_with_admin(
        actor=actor,
        parent=parent,
        name=payload.name,
        admin_username=payload.admin_username,
        admin_password=payload.admin_password,
        now=clock.now(),
    )
    return Status(201, customer_out(customer, parent.number))


@router.patch("/customers/{number}/settings", response={200: CustomerOut, **ERROR_RESPONSES})
def customer_settings_update_endpoint(
    request: HttpRequest, number: str, payload: CustomerSettingsIn
):
    customer = customer_in_scope(request.auth, number)
    customer = customer_settings_update(
        actor=request.auth,
        customer=customer,
        allow_superior_manage_licenses=payload.allow_superior_manage_licenses,
        allow_auto_renew=payload.allow_auto_renew,
        now=clock.now(),
    )
    return customer_out(customer)


@router.post("/customers/{number}/accounts", response={201: AccountOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def account_create_endpoint(request: HttpRequest, number: str, payload: AccountCreateIn):
    customer = customer_in_scope(request.auth, number)
    account = account_create(
        actor=request.auth,
        customer=customer,
        username=payload.username,
        password=payload.password,
        role=payload.role,
        now=clock.now(),
    )
    return Status(
        201, {"username": account.username, "role": account.role, "customer": customer.number}
    )


def account_out(account: Account, customer_number: str) -> dict:
    return {
        "username": account.username,
        "role": account.role,
        "customer": customer_number,
        "email": account.email,
        "active": account.is_active,
        "last_login": account.last_login,
    }


@router.get("/customers/{number}/accounts", response={200: AccountPage, **ERROR_RESPONSES})
def customer_account_list(request: HttpRequest, number: str, query: Query[PageQuery]):
    """The customer's accounts; its superiors may list them too (read only)."""
    customer = customer_in_scope(request.auth, number)
    return page_of(account_list(customer), query, lambda a: account_out(a, customer.number))


@router.patch(
    "/customers/{number}/accounts/{username}", response={200: AccountDetailOut, **ERROR_RESPONSES}
)
def customer_account_update(
    request: HttpRequest, number: str, username: str, payload: AccountUpdateIn
):
    customer = customer_in_scope(request.auth, number)
    account = account_update(
        actor=request.auth,
        customer=customer,
        username=username,
        role=payload.role,
        active=payload.active,
        email=payload.email,
        now=clock.now(),
    )
    return account_out(account, customer.number)


@router.post(
    "/customers/{number}/accounts/{username}/password",
    response={204: None, **ERROR_RESPONSES},
)
def customer_account_password(
    request: HttpRequest, number: str, username: str, payload: PasswordSetIn
):
    customer = customer_in_scope(request.auth, number)
    account_set_password(
        actor=request.auth,
        customer=customer,
        username=username,
        password=payload.password,
        now=clock.now(),
    )
    return Status(204, None)


@router.post(
    "/me/password", auth=BearerToken(any_role=True), response={204: None, **ERROR_RESPONSES}
)
def me_password(request: HttpRequest, payload: OwnPasswordIn):
    account_change_own_password(
        actor=request.auth,
        current_password=payload.current_password,
        password=payload.password,
        now=clock.now(),
    )
    return Status(204, None)
