"""JSON answers and the one exception-to-response function of the API.

`exception_response` turns any exception into the error envelope
`{"error": {"code", "message"}}` with the code's HTTP status (`core.errors.ErrorCode`). The
NinjaAPI registers it for every exception class (`HANDLED_EXCEPTIONS`); the idempotency wrapper
and the gate's fast path call it directly, so no module imports the API object to reach it.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import orjson
from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from daypass.core.batch_errors import RowErrors
from daypass.core.busy import DatabaseBusy, is_busy_error
from daypass.core.errors import CODE_BY_STATUS, DaypassError, ErrorCode
from daypass.core.throttle import LoginThrottled

logger = logging.getLogger("daypass.api")

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_UTC_Z, default=str)


def error_response(
    status: int, code: str, message: str, *, rows: list[dict] | None = None
) -> HttpResponse:
    error: dict[str, Any] = {"code": str(code), "message": message}
    if rows is not None:
        # A batch checked whole (device import): one entry per bad row (core/batch_errors.py).
        error["rows"] = rows
    return HttpResponse(
        dumps({"error": error}),
        status=status,
        content_type=JSON_CONTENT_TYPE,
    )


def json_response(data: Any, *, status: int = 200) -> HttpResponse:
    """An answer rendered directly, skipping Ninja's output validation (for hot paths)."""
    return HttpResponse(dumps(data), status=status, content_type=JSON_CONTENT_TYPE)


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:10]:
        location = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{location}: {error.get('msg', 'invalid')}" if location else error["msg"])
    return "; ".join(parts) or "Invalid request."


def _daypass_error(request: HttpRequest, exc: DaypassError) -> HttpResponse:
    rows = exc.rows_out() if isinstance(exc, RowErrors) else None
    response = error_response(exc.http_status, exc.code, exc.message, rows=rows)
    if isinstance(exc, LoginThrottled | DatabaseBusy):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _operational_error(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    # A lock wait or statement timeout that ran out: nothing changed, the client may retry.
    if is_busy_error(exc):
        logger.warning("database busy on %s %s: %s", request.method, request.path, exc)
        return _daypass_error(request, DatabaseBusy())
    return _unexpected(request, exc)


class BodyNotAnObject(ValueError):
    """Every request body of the API is a JSON object; `[]`, `"x"` or `5` is a 422
    (raised by core.api.OrjsonParser; Ninja wraps it in an HttpError 400)."""


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, BodyNotAnObject):
        return error_response(422, ErrorCode.VALIDATION_ERROR, str(exc.__cause__))
    code = CODE_BY_STATUS.get(exc.status_code, ErrorCode.BAD_REQUEST)
    message = str(exc)
    if exc.status_code == HTTPStatus.BAD_REQUEST and message.startswith("Cannot parse"):
        message = "The request body is not valid JSON."
    return error_response(exc.status_code, code, message)


def _integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # A uniqueness race the service did not pre-check (e.g. two creates of one code at once).
    logger.warning("integrity error on %s %s: %s", request.method, request.path, exc)
    return error_response(409, ErrorCode.CONFLICT, "This conflicts with existing data.")


def _data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # The database refused a value as data (e.g. a number out of range): bad input, not a bug.
    logger.info("data error on %s %s: %s", request.method, request.path, exc)
    return error_response(
        422, ErrorCode.VALIDATION_ERROR, "A value is not acceptable to the database."
    )


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Only true bugs get here: logged with the traceback, answered without one.
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, ErrorCode.INTERNAL_ERROR, "An unexpected error occurred.")


# Most specific first: the first class the exception is an instance of decides.
_RESPONSES = (
    (DaypassError, _daypass_error),
    (
        NinjaValidationError,
        lambda request, exc: error_response(
            422, ErrorCode.VALIDATION_ERROR, _validation_message(exc.errors)
        ),
    ),
    (
        DjangoValidationError,
        lambda request, exc: error_response(
            422, ErrorCode.VALIDATION_ERROR, "; ".join(exc.messages) or "Invalid request."
        ),
    ),
    (HttpError, _http_error),
    (
        RequestDataTooBig,
        lambda request, exc: error_response(
            413, ErrorCode.PAYLOAD_TOO_LARGE, "The request body is too large."
        ),
    ),
    (
        SuspiciousOperation,
        lambda request, exc: error_response(
            400, ErrorCode.BAD_REQUEST, "The request could not be understood."
        ),
    ),
    (
        BadRequest,
        lambda request, exc: error_response(400, ErrorCode.BAD_REQUEST, str(exc) or "Bad request."),
    ),
    (Http404, lambda request, exc: error_response(404, ErrorCode.NOT_FOUND, "Not found.")),
    (
        ObjectDoesNotExist,
        lambda request, exc: error_response(404, ErrorCode.NOT_FOUND, "Not found."),
    ),
    (
        PermissionDenied,
        lambda request, exc: error_response(403, ErrorCode.FORBIDDEN, str(exc) or "Forbidden."),
    ),
    (IntegrityError, _integrity_error),
    (DataError, _data_error),
    (OperationalError, _operational_error),
)

# Every class the API registers `exception_response` for (Ninja picks the most specific
# registered class, so each needs registering to override Ninja's own defaults).
HANDLED_EXCEPTIONS: tuple[type[Exception], ...] = (
    *(cls for cls, _answer in _RESPONSES),
    Exception,
)


def exception_response(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The API's answer to `exc`: the error envelope with the right status and code."""
    for cls, answer in _RESPONSES:
        if isinstance(exc, cls):
            return answer(request, exc)
    return _unexpected(request, exc)
