"""Service errors in the user's language.

Services raise `DaypassError(code, message)` with an English message that names the objects
involved. In English the console shows that message as is; in other languages it shows the
translated sentence for the stable code, so a Chinese page never shows an English error.
"""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from daypass.core.errors import DaypassError

MESSAGES_BY_CODE = {
    "not_found": _("Not found."),
    "forbidden": _("Your account may not do this."),
    "validation_error": _("The input is not valid."),
    "license_locked": _("The license is locked."),
    "license_not_unused": _("Only an unused license can be locked."),
    "license_not_locked": _("The license is not locked."),
    "license_bound": _("The license is bound to a device; unbind it first."),
    "license_not_bound": _("The license is not bound to a device."),
    "license_expired": _("The license has expired (no available days)."),
    "model_mismatch": _("The device's model is not in the model range of this license type."),
    "device_not_in_subtree": _(
        "The device belongs neither to the license owner nor to one of its sub-customers."
    ),
    "not_a_child": _("Licenses can only be sold to a direct child customer."),
    "no_superior": _("This customer has no superior to return licenses to."),
    "insufficient_quantity": _("There are not enough eligible licenses."),
    "superior_management_disabled": _(
        "This customer has not allowed superior management of its licenses."
    ),
    "unauthenticated": _("Please log in again."),
    "throttled": _("Too many requests. Try again in a few minutes."),
    "busy": _("The server is busy. Nothing was changed; please try again."),
    "conflict": _("Someone else changed this at the same time. Please try again."),
    "bad_request": _("The request is not valid."),
    "method_not_allowed": _("This action is not available here."),
    "payload_too_large": _("The upload is too large."),
    "idempotency_key_reused": _("This request was already made with different content."),
}


def error_text(error: DaypassError) -> str:
    language = (get_language() or "en").lower()
    if language.startswith("en") or error.code not in MESSAGES_BY_CODE:
        return error.message
    return str(MESSAGES_BY_CODE[error.code])
