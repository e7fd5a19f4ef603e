"""The JSON API (SPEC section 9): one NinjaAPI under /api/v1, one router per app.

Every answer that is not a success is the envelope `{"error": {"code", "message"}}` — Ninja's
validation errors, malformed JSON, oversized bodies, unknown routes and wrong methods included.
See docs/api.md.
"""

from __future__ import annotations

from functools import cache, wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import path, re_path
from ninja import NinjaAPI

from daypass.billing.api import gate_fast_path
from daypass.billing.api import router as billing_router
from daypass.core.api import OrjsonParser, OrjsonRenderer
from daypass.core.errors import ErrorCode
from daypass.core.idempotency import IDEMPOTENCY_HEADER, MAX_KEY_LENGTH
from daypass.core.responses import (
    HANDLED_EXCEPTIONS,
    error_response,
    exception_response,
    json_response,
)
from daypass.customers.api import router as customers_router
from daypass.customers.auth import BearerToken
from daypass.devices.api import router as devices_router
from daypass.events.api import router as events_router
from daypass.licenses.api import router as licenses_router
from daypass.notifications.api import router as notifications_router
from daypass.webhooks.api import router as webhooks_router


class DaypassAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document also names the Idempotency-Key header of every POST."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for path_name, operations in schema["paths"].items():
            post = operations.get("post")
            if post is None or path_name.endswith("/tokens"):
                continue
            post.setdefault("parameters", []).append(
                {
                    "in": "header",
                    "name": IDEMPOTENCY_HEADER,
                    "required": False,
                    "description": (
                        "Retry safely: a repeat with the same key and request gets the first "
                        "answer (24 hours); the same key with another request is a 409."
                    ),
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
                }
            )
        return schema


api = DaypassAPI(
    title="daypass API",
    version="1",
    description="Prepaid day licenses for connected devices. See docs/api.md.",
    urls_namespace="api",
    auth=BearerToken(),
    renderer=OrjsonRenderer(),
    parser=OrjsonParser(),
    openapi_url="/openapi.json",
    # The interactive page is Ninja's Swagger UI, served from the assets the django-ninja
    # package ships (ninja is in INSTALLED_APPS, so no CDN is used).
    docs_url="/docs",
)


@api.get("/health", auth=None, tags=["health"], response={200: dict[str, str]})
def health(request: HttpRequest) -> HttpResponse:
    """Liveness: no authentication, no database. Also the benchmark's framework floor."""
    return json_response({"status": "ok"})


api.add_router("", customers_router)
api.add_router("", devices_router)
# Billing before licenses: its /licenses/consumption must come before /licenses/{card}.
api.add_router("", billing_router)
api.add_router("", licenses_router)
api.add_router("", webhooks_router)
api.add_router("", events_router)
api.add_router("", notifications_router)


# --- the error envelope ---------------------------------------------------------------------
# Every exception, of every class, is answered by core.responses.exception_response.
for exception_class in HANDLED_EXCEPTIONS:
    api.add_exception_handler(exception_class, exception_response)


# --- URLs -----------------------------------------------------------------------------------


def _enveloped_405(view):
    """Ninja answers a wrong method with a plain-text 405; answer with the envelope instead."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            enveloped = error_response(
                405, ErrorCode.METHOD_NOT_ALLOWED, f"{request.method} is not allowed here."
            )
            enveloped["Allow"] = response["Allow"]
            return enveloped
        return response

    return wrapper


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, ErrorCode.NOT_FOUND, f"No API endpoint at {request.path}.")


api_not_found.csrf_exempt = True


@cache
def api_urlpatterns() -> list:
    """The API's URL patterns for daypass.urls: Ninja's routes, then a JSON 404 for the rest."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if getattr(pattern, "name", None) == "api-root":
            # Ninja's root view raises Http404 for Django to render as HTML.
            pattern.callback = api_not_found
        elif hasattr(pattern, "callback"):
            pattern.callback = _enveloped_405(pattern.callback)
            if pattern.name == "gate_reports":
                pattern.callback = gate_fast_path(pattern.callback)
    # Django tries the patterns in order, and the gate's came last of ~30: the gate, the hot
    # path, goes first (its path is a literal no other pattern matches, so nothing changes).
    patterns.sort(key=lambda pattern: getattr(pattern, "name", None) != "gate_reports")
    return [
        path("api/v1/", (patterns, app_name, namespace)),
        # [\s\S]: a path holding a newline (%0A) is under /api/v1 too, and gets the envelope.
        re_path(r"^api/v1(?:/(?P<rest>[\s\S]*))?$", api_not_found),
    ]
