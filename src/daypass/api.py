"""The JSON API (SPEC section 9): one NinjaAPI under /api/v1, one router per app.

Every answer that is not a success is the envelope `{"error": {"code", "message"}}` — Ninja's
validation errors, malformed JSON, oversized bodies, unknown routes and wrong methods included.
See docs/api.md.
"""

from __future__ import annotations

import logging
from functools import cache, wraps
from http import HTTPStatus
from typing import Any

from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import path, re_path
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from daypass.billing.api import gate_fast_path
from daypass.billing.api import router as billing_router
from daypass.core.api import (
    CODE_BY_STATUS,
    BearerToken,
    OrjsonParser,
    OrjsonRenderer,
    error_response,
    json_response,
)
from daypass.core.busy import DatabaseBusy, is_busy_error
from daypass.core.errors import DaypassError
from daypass.core.idempotency import IDEMPOTENCY_HEADER, MAX_KEY_LENGTH
from daypass.core.throttle import LoginThrottled
from daypass.customers.api import router as customers_router
from daypass.devices.api import router as devices_router
from daypass.events.api import router as events_router
from daypass.licenses.api import router as licenses_router
from daypass.notifications.api import router as notifications_router
from daypass.webhooks.api import router as webhooks_router

logger = logging.getLogger("daypass.api")


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


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:10]:
        location = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{location}: {error.get('msg', 'invalid')}" if location else error["msg"])
    return "; ".join(parts) or "Invalid request."


@api.exception_handler(DaypassError)
def on_daypass_error(request: HttpRequest, exc: DaypassError) -> HttpResponse:
    response = error_response(exc.http_status, exc.code, exc.message)
    if isinstance(exc, LoginThrottled | DatabaseBusy):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(OperationalError)
def on_operational_error(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    # A lock wait or statement timeout that ran out: nothing changed, the client may retry.
    if is_busy_error(exc):
        logger.warning("database busy on %s %s: %s", request.method, request.path, exc)
        return on_daypass_error(request, DatabaseBusy())
    return on_unexpected(request, exc)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return error_response(422, "validation_error", _validation_message(exc.errors))


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return error_response(422, "validation_error", "; ".join(exc.messages) or "Invalid request.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = CODE_BY_STATUS.get(exc.status_code, "bad_request")
    message = str(exc)
    if exc.status_code == HTTPStatus.BAD_REQUEST and message.startswith("Cannot parse"):
        message = "The request body is not valid JSON."
    return error_response(exc.status_code, code, message)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(413, "payload_too_large", "The request body is too large.")


@api.exception_handler(SuspiciousOperation)
def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return error_response(400, "bad_request", "The request could not be understood.")


@api.exception_handler(BadRequest)
def on_bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
    return error_response(400, "bad_request", str(exc) or "Bad request.")


@api.exception_handler(Http404)
def on_http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", "Not found.")


@api.exception_handler(ObjectDoesNotExist)
def on_does_not_exist(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return error_response(404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(403, "forbidden", str(exc) or "Forbidden.")


@api.exception_handler(IntegrityError)
def on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # A uniqueness race the service did not pre-check (e.g. two creates of one code at once).
    logger.warning("integrity error on %s %s: %s", request.method, request.path, exc)
    return error_response(409, "conflict", "This conflicts with existing data.")


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # The database refused a value as data (e.g. text with NUL characters on PostgreSQL, a
    # number out of range): bad input, not a bug.
    logger.info("data error on %s %s: %s", request.method, request.path, exc)
    return error_response(422, "validation_error", "A value is not acceptable to the database.")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Only true bugs get here: logged with the traceback, answered without one.
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "An unexpected error occurred.")


# --- URLs -----------------------------------------------------------------------------------


def _enveloped_405(view):
    """Ninja answers a wrong method with a plain-text 405; answer with the envelope instead."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            enveloped = error_response(
                405, "method_not_allowed", f"{request.method} is not allowed here."
            )
            enveloped["Allow"] = response["Allow"]
            return enveloped
        return response

    return wrapper


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", f"No API endpoint at {request.path}.")


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
        re_path(r"^api/v1(?:/(?P<rest>.*))?$", api_not_found),
    ]
