"""Service errors in the user's language.

Services raise `DaypassError(code, message)` with an English message that names the objects
involved. In English the console shows that message as is; in other languages it shows the
translated sentence for the stable code, so a Chinese page never shows an English error.
"""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from daypass.core.errors import DaypassError, ErrorCode

MESSAGES_BY_CODE: dict[ErrorCode, str] = {
    ErrorCode.NOT_FOUND: _("Not found."),
    ErrorCode.FORBIDDEN: _("Your account may not do this."),
    ErrorCode.VALIDATION_ERROR: _("The input is not valid."),
    ErrorCode.LICENSE_LOCKED: _("The license is locked."),
    ErrorCode.LICENSE_NOT_UNUSED: _("Only an unused license can be locked."),
    ErrorCode.LICENSE_NOT_LOCKED: _("The license is not locked."),
    ErrorCode.LICENSE_BOUND: _("The license is bound to a device; unbind it first."),
    ErrorCode.LICENSE_NOT_BOUND: _("The license is not bound to a device."),
    ErrorCode.LICENSE_EXPIRED: _("The license has expired (no available days)."),
    ErrorCode.MODEL_MISMATCH: _(
        "The device's model is not in the model range of this license type."
    ),
    ErrorCode.DEVICE_NOT_IN_SUBTREE: _(
        "The device belongs neither to the license owner nor to one of its sub-customers."
    ),
    ErrorCode.NOT_A_CHILD: _("Licenses can only be sold to a direct child customer."),
    ErrorCode.NO_SUPERIOR: _("This customer has no superior to return licenses to."),
    ErrorCode.INSUFFICIENT_QUANTITY: _("There are not enough eligible licenses."),
    ErrorCode.SUPERIOR_MANAGEMENT_DISABLED: _(
        "This customer has not allowed superior management of its licenses."
    ),
    ErrorCode.UNAUTHENTICATED: _("Please log in again."),
    ErrorCode.THROTTLED: _("Too many requests. Try again in a few minutes."),
    ErrorCode.BUSY: _("The server is busy. Nothing was changed; please try again."),
    ErrorCode.CONFLICT: _("Someone else changed this at the same time. Please try again."),
    ErrorCode.BAD_REQUEST: _("The request is not valid."),
    ErrorCode.METHOD_NOT_ALLOWED: _("This action is not available here."),
    ErrorCode.PAYLOAD_TOO_LARGE: _("The upload is too large."),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: _("This request was already made with different content."),
}


def error_text(error: DaypassError) -> str:
    language = (get_language() or "en").lower()
    if language.startswith("en") or error.code not in MESSAGES_BY_CODE:
        return error.message
    if error.localized_message:
        return error.localized_message
    return str(MESSAGES_BY_CODE[error.code])
