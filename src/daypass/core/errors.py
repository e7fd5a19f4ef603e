"""One error family for every business rule; the API and the UI map codes the same way."""

from http import HTTPStatus


class DaypassError(Exception):
    """A rule said no. `code` is stable (SPEC section 9); `message` is for people."""

    code = "validation_error"

    def __init__(self, code: str | None = None, message: str = "", *, field: str | None = None):
        if code is not None:
            self.code = code
        self.message = message or self.code.replace("_", " ")
        self.field = field
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return HTTP_STATUS_BY_CODE.get(self.code, HTTPStatus.CONFLICT)


class NotFound(DaypassError):
    """Missing, or outside the acting customer's subtree: the two are indistinguishable."""

    code = "not_found"


class Forbidden(DaypassError):
    code = "forbidden"


class Unauthenticated(DaypassError):
    code = "unauthenticated"


class ValidationFailed(DaypassError):
    code = "validation_error"


# Business-rule codes not listed here (license_locked, model_mismatch, ...) are 409 Conflict:
# the request was well formed but the current state of the data forbids it.
HTTP_STATUS_BY_CODE: dict[str, int] = {
    "unauthenticated": HTTPStatus.UNAUTHORIZED,
    "forbidden": HTTPStatus.FORBIDDEN,
    "not_found": HTTPStatus.NOT_FOUND,
    "validation_error": HTTPStatus.UNPROCESSABLE_ENTITY,
    "bad_request": HTTPStatus.BAD_REQUEST,
    "method_not_allowed": HTTPStatus.METHOD_NOT_ALLOWED,
    "payload_too_large": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "throttled": HTTPStatus.TOO_MANY_REQUESTS,
    # A lock wait or statement timeout ran out; nothing changed, try again (core/busy.py).
    "busy": HTTPStatus.SERVICE_UNAVAILABLE,
    "superior_management_disabled": HTTPStatus.FORBIDDEN,
    "idempotency_key_reused": HTTPStatus.CONFLICT,
}

BUSINESS_CODES = (
    "license_locked",
    "license_not_unused",
    "license_not_locked",
    "license_bound",
    "license_not_bound",
    "license_expired",
    "model_mismatch",
    "device_not_in_subtree",
    "not_a_child",
    "no_superior",
    "insufficient_quantity",
    "superior_management_disabled",
)
