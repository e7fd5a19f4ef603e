"""API authentication: bearer tokens with the role rules of SPEC 5, and idempotent retries.

`BearerToken` is the NinjaAPI's auth; `idempotent` wraps a POST operation
(`@decorate_view(idempotent)`) with the Idempotency-Key rules of `core.idempotency`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.security import HttpBearer

from daypass.core import clock
from daypass.core.errors import Forbidden, Unauthenticated
from daypass.core.idempotency import IDEMPOTENCY_HEADER, idempotency_key_of, run_idempotently
from daypass.core.responses import exception_response
from daypass.customers.models import Account, Role
from daypass.customers.tokens import token_authenticate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# --- authentication -------------------------------------------------------------------------

_NOT_TRIED = object()


def authenticated_account(request: HttpRequest) -> Account | None:
    """The account of the request's bearer token (looked up once per request), or None."""
    cached = getattr(request, "_daypass_account", _NOT_TRIED)
    if cached is not _NOT_TRIED:
        return cached
    # META rather than request.headers, which builds a dict of every header on first use.
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, secret = header.partition(" ")
    account = None
    if scheme.lower() == "bearer" and secret.strip():
        account = token_authenticate(secret=secret.strip(), now=clock.now())
    request._daypass_account = account
    return account


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`, with the role rules of SPEC section 5.

    - no or unknown token → 401 `unauthenticated`;
    - a `gateway` token may call only the gate; anything else → 403 `forbidden`;
    - a `viewer` may only read: any other method → 403 `forbidden`.
    The gate itself admits gateway tokens and platform administrators.
    """

    def __init__(self, *, gate: bool = False, any_role: bool = False, own: bool = False) -> None:
        super().__init__()
        self.gate = gate
        # For what every token may do to itself (revoke), whatever its role.
        self.any_role = any_role
        # For what every person's account may write of its own (its inbox, its notification
        # settings), a viewer's too; a gateway token has none.
        self.own = own

    def __call__(self, request: HttpRequest) -> Account:
        account = authenticated_account(request)
        if account is None:
            raise Unauthenticated(message="A valid bearer token is required.")
        if self.any_role:
            return account
        if self.gate:
            if account.role != Role.GATEWAY and not account.is_platform_admin:
                raise Forbidden(message="Only gateway tokens may report to the gate.")
        elif account.role == Role.GATEWAY:
            raise Forbidden(message="A gateway token may only call the gate.")
        elif account.role == Role.VIEWER and request.method not in SAFE_METHODS and not self.own:
            raise Forbidden(message="A viewer may only read.")
        return account

    def authenticate(self, request: HttpRequest, token: str) -> Account | None:
        # Not used: __call__ does the work so the lookup is shared with idempotency.
        return authenticated_account(request)


# --- idempotency ----------------------------------------------------------------------------


def idempotent(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorates an Operation.run (via `ninja.decorators.decorate_view`) with Idempotency-Key.

    Without the header the call runs as usual. With it, the call needs a valid token (else the
    operation's own auth answers 401) and is replayed or refused per `core.idempotency`.
    """

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if IDEMPOTENCY_HEADER not in request.headers:
            return run(request, *args, **kwargs)
        account = authenticated_account(request)
        if account is None:
            return run(request, *args, **kwargs)  # answers 401
        try:
            key = idempotency_key_of(request)
            return run_idempotently(
                account=account,
                key=key,
                request=request,
                run=lambda: run(request, *args, **kwargs),
                now=clock.now(),
            )
        except Exception as exc:
            return exception_response(request, exc)

    return wrapper
