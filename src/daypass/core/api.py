"""Building blocks of the JSON API: bearer-token auth, the error envelope, JSON codec, paging.

`daypass.api` assembles the one NinjaAPI from these and the per-app routers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

import orjson
from django.http import HttpRequest, HttpResponse
from django_filters import FilterSet
from ninja.parser import Parser
from ninja.renderers import BaseRenderer
from ninja.security import HttpBearer

from daypass.core import clock
from daypass.core.errors import Forbidden, Unauthenticated
from daypass.core.filters import filter_names
from daypass.core.idempotency import IDEMPOTENCY_HEADER, idempotency_key_of, run_idempotently
from daypass.core.responses import BodyNotAnObject, dumps, exception_response
from daypass.core.schemas import ErrorOut, PageQuery
from daypass.customers.models import Role
from daypass.customers.tokens import token_authenticate

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from daypass.customers.models import Account

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Documented on every authenticated operation, so the OpenAPI document says what may come back.
ERROR_RESPONSES: dict[int, type] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    405: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
    503: ErrorOut,
}


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    charset = "utf-8"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return dumps(data)


class OrjsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        # Text holding NUL never gets here: core.middleware.RejectNulMiddleware answers 422.
        data = orjson.loads(request.body)
        if not isinstance(data, dict):
            # Ninja would read an array as "no fields given" and accept it where every field is
            # optional (a PATCH): refuse it here, for every operation at once.
            raise BodyNotAnObject("The request body must be a JSON object.")
        return data


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


# --- paging ---------------------------------------------------------------------------------


def page_of(
    rows: QuerySet | list, paging: PageQuery, serialize: Callable[[Any], dict]
) -> dict[str, Any]:
    """`{"items", "count"}` for one page (`page` from 1); past the end: no items."""
    start = (paging.page - 1) * paging.page_size
    if isinstance(rows, list):
        count = len(rows)
        chunk: Iterable[Any] = rows[start : start + paging.page_size]
    else:
        count = rows.count()
        chunk = rows[start : start + paging.page_size] if start < count else []
    return {"items": [serialize(row) for row in chunk], "count": count}


def filters_of(query: Any, filterset_class: type[FilterSet]) -> dict[str, str]:
    """The query's values of the list's filters (the FilterSet's names), as the FilterSet reads
    them (strings; booleans true/false)."""
    filters = {}
    for name in filter_names(filterset_class):
        value = getattr(query, name)
        if value is None:
            continue
        filters[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return filters
