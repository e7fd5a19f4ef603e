"""One error family for every business rule, and every error code in one enum.

`ErrorCode` is the single list of the codes of SPEC section 9 (plus the framework's own). The
API's error envelope, its documentation (`docs/api.md`, checked by a test) and the console's
translated messages (`daypass.web.error_messages`) all read it. A code's HTTP status is
`ErrorCode.http_status`: the codes listed in `HTTP_STATUS_BY_CODE`, else 409 Conflict (the
request was well formed but the current state of the data forbids it).
"""

from enum import StrEnum
from http import HTTPStatus


class ErrorCode(StrEnum):
    # The request itself.
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    VALIDATION_ERROR = "validation_error"
    BAD_REQUEST = "bad_request"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    THROTTLED = "throttled"
    BUSY = "busy"
    CONFLICT = "conflict"
    INTERNAL_ERROR = "internal_error"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    # Business rules (SPEC section 9).
    LICENSE_LOCKED = "license_locked"
    LICENSE_NOT_UNUSED = "license_not_unused"
    LICENSE_NOT_LOCKED = "license_not_locked"
    LICENSE_BOUND = "license_bound"
    LICENSE_NOT_BOUND = "license_not_bound"
    LICENSE_EXPIRED = "license_expired"
    MODEL_MISMATCH = "model_mismatch"
    DEVICE_NOT_IN_SUBTREE = "device_not_in_subtree"
    NOT_A_CHILD = "not_a_child"
    NO_SUPERIOR = "no_superior"
    INSUFFICIENT_QUANTITY = "insufficient_quantity"
    SUPERIOR_MANAGEMENT_DISABLED = "superior_management_disabled"
    # Operations (commands).
    LEDGER_NOT_CLEAN = "ledger_not_clean"

    @property
    def http_status(self) -> int:
        return HTTP_STATUS_BY_CODE.get(self, HTTPStatus.CONFLICT)


HTTP_STATUS_BY_CODE: dict[str, int] = {
    ErrorCode.UNAUTHENTICATED: HTTPStatus.UNAUTHORIZED,
    ErrorCode.FORBIDDEN: HTTPStatus.FORBIDDEN,
    ErrorCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.VALIDATION_ERROR: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.BAD_REQUEST: HTTPStatus.BAD_REQUEST,
    ErrorCode.METHOD_NOT_ALLOWED: HTTPStatus.METHOD_NOT_ALLOWED,
    ErrorCode.PAYLOAD_TOO_LARGE: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    ErrorCode.THROTTLED: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.BUSY: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.INTERNAL_ERROR: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.SUPERIOR_MANAGEMENT_DISABLED: HTTPStatus.FORBIDDEN,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: HTTPStatus.CONFLICT,
}

# The code for an HTTP status raised by the framework itself (not by a DaypassError).
CODE_BY_STATUS: dict[int, ErrorCode] = {
    HTTPStatus.BAD_REQUEST: ErrorCode.BAD_REQUEST,
    HTTPStatus.UNAUTHORIZED: ErrorCode.UNAUTHENTICATED,
    HTTPStatus.FORBIDDEN: ErrorCode.FORBIDDEN,
    HTTPStatus.NOT_FOUND: ErrorCode.NOT_FOUND,
    HTTPStatus.METHOD_NOT_ALLOWED: ErrorCode.METHOD_NOT_ALLOWED,
    HTTPStatus.CONFLICT: ErrorCode.CONFLICT,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
    HTTPStatus.UNPROCESSABLE_ENTITY: ErrorCode.VALIDATION_ERROR,
    HTTPStatus.TOO_MANY_REQUESTS: ErrorCode.THROTTLED,
    HTTPStatus.INTERNAL_SERVER_ERROR: ErrorCode.INTERNAL_ERROR,
    HTTPStatus.SERVICE_UNAVAILABLE: ErrorCode.BUSY,
}


class DaypassError(Exception):
    """A rule said no. `code` is stable (SPEC section 9); `message` is for people."""

    code: ErrorCode = ErrorCode.VALIDATION_ERROR

    def __init__(
        self,
        code: ErrorCode | str | None = None,
        message: str = "",
        *,
        field: str | None = None,
        localized_message: str | None = None,
    ):
        if code is not None:
            self.code = ErrorCode(code)
        self.message = message or self.code.replace("_", " ")
        self.field = field
        # The same sentence in the active language, where the service can say more than the
        # code's generic label (a password validator's reasons): the console shows it.
        self.localized_message = localized_message
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return ErrorCode(self.code).http_status


class NotFound(DaypassError):
    """Missing, or outside the acting customer's subtree: the two are indistinguishable."""

    code = ErrorCode.NOT_FOUND


class Forbidden(DaypassError):
    code = ErrorCode.FORBIDDEN


class Unauthenticated(DaypassError):
    code = ErrorCode.UNAUTHENTICATED


class ValidationFailed(DaypassError):
    code = ErrorCode.VALIDATION_ERROR
