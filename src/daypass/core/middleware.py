"""`Cache-Control: no-store` on every API answer and every page served to a signed-in person.

Those answers hold a tenant's data (or a token, a secret shown once): no browser, proxy or
shared cache may keep them. Public answers (the login page, static files served by WhiteNoise
before this runs) keep their own caching.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

API_PREFIX = "/api/"


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
