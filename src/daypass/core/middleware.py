"""The project's own middleware.

`RejectNulMiddleware`: text holding NUL is refused before any view runs (SPEC 9: a 422, in the
API and the console alike). PostgreSQL refuses NUL in every text value (a `DataError` deep
inside a query), SQLite stores it; so it is refused at the door, for both databases alike: in
the path, the query string, a form, or a JSON body. The API answers the error envelope (422
`validation_error`); the console a page saying what was wrong (422). Selectors and filters check
again (`core.text.require_text`) for callers that are not requests.

`NoStoreMiddleware`: `Cache-Control: no-store` on every API answer and every page served to a
signed-in person. Those answers hold a tenant's data (or a token, a secret shown once): no
browser, proxy or shared cache may keep them. Public answers (the login page, static files
served by WhiteNoise before this runs) keep their own caching.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from daypass.core.errors import ErrorCode
from daypass.core.responses import error_response
from daypass.core.text import NUL, NUL_MESSAGE, has_nul

API_PREFIX = "/api/"
# How JSON writes a NUL inside a string (a raw NUL byte is not valid JSON at all).
JSON_NUL = b"\\u0000"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _query_has_nul(request: HttpRequest) -> bool:
    raw = request.META.get("QUERY_STRING", "")
    if "%00" not in raw and NUL not in raw:
        return False  # the common case, without parsing the query
    try:
        return any(NUL in key or has_nul(values) for key, values in request.GET.lists())
    except SuspiciousOperation:
        return False  # too many fields: the view answers it (400 in the API)


def _body_has_nul(request: HttpRequest, *, api: bool) -> bool:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    try:
        if api:
            body = request.body
            if JSON_NUL not in body and NUL.encode() not in body:
                return False
            try:
                return has_nul(orjson.loads(body))
            except orjson.JSONDecodeError:
                return False  # the API answers it as unparseable
        if content_type.startswith(FORM_TYPES):
            return any(NUL in key or has_nul(values) for key, values in request.POST.lists())
    except SuspiciousOperation:
        return False  # too big, too many fields: the view answers it (413 / 400 in the API)
    return False


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith(API_PREFIX)
        if NUL in request.path or _query_has_nul(request) or _body_has_nul(request, api=api):
            if api:
                return error_response(422, ErrorCode.VALIDATION_ERROR, NUL_MESSAGE)
            message = _("Text must not contain NUL characters.")
            return render(request, "422.html", {"message": message}, status=422)
        return self.get_response(request)


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith(API_PREFIX) or (user is not None and user.is_authenticated):
            # no-store (and no-cache, must-revalidate, private, max-age=0 for old caches).
            add_never_cache_headers(response)
        return response
