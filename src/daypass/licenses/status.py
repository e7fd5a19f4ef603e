"""License status (SPEC section 2) and what each state allows.

The status is one SQL expression and one Python function; both evaluate the same rules top to
bottom, and tests/licenses/test_status.py checks every combination of the fields against both.
The state predicates (sellable, returnable, bindable, unused, lockable) follow, each with the
error the services raise when it fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, CharField, Q, Value, When

from daypass.core.errors import DaypassError, ErrorCode
from daypass.licenses.models import LicenseStatus

if TYPE_CHECKING:
    from daypass.licenses.models import License


def status_expression() -> Case:
    """Annotate with `.annotate(status=status_expression())`; filter on it like a field."""
    return Case(
        When(available_days=0, then=Value(LicenseStatus.EXPIRED.value)),
        When(
            Q(device__isnull=False) & Q(activated_at__isnull=True),
            then=Value(LicenseStatus.INACTIVE.value),
        ),
        When(device__isnull=False, then=Value(LicenseStatus.IN_USE.value)),
        When(activated_at__isnull=True, then=Value(LicenseStatus.UNUSED.value)),
        default=Value(LicenseStatus.DEACTIVATED.value),
        output_field=CharField(max_length=16),
    )


def status_of(*, available_days: int, bound: bool, activated: bool) -> LicenseStatus:
    if available_days == 0:
        return LicenseStatus.EXPIRED
    if bound:
        return LicenseStatus.IN_USE if activated else LicenseStatus.INACTIVE
    return LicenseStatus.DEACTIVATED if activated else LicenseStatus.UNUSED


def license_status(license: License) -> LicenseStatus:
    return status_of(
        available_days=license.available_days,
        bound=license.device_id is not None,
        activated=license.activated_at is not None,
    )


# --- state predicates: what a license's state allows (permissions aside) ----------------------
# Read by the services (which raise the codes below, in this order), the selectors (the SQL
# forms) and the console (which offers an action only when it is possible).

# Sell, return and bind need the license unlocked, not expired and unbound.
MOVABLE = Q(locked=False, available_days__gt=0, device__isnull=True)


def is_unused(license: License) -> bool:
    return license_status(license) == LicenseStatus.UNUSED


def is_movable(license: License) -> bool:
    """Sellable, returnable and bindable: unlocked, not expired, unbound."""
    return not license.locked and license.available_days > 0 and license.device_id is None


is_sellable = is_returnable = is_bindable = is_movable


def is_lockable(license: License) -> bool:
    return not license.locked and is_unused(license)


def is_unlockable(license: License) -> bool:
    return license.locked


def is_unbindable(license: License) -> bool:
    return license.device_id is not None


def require_movable(license: License, *, bound_message: str = "is bound to a device") -> None:
    """Sell, return and bind: `license_locked`, then `license_expired`, then `license_bound`."""
    if license.locked:
        raise DaypassError(ErrorCode.LICENSE_LOCKED, f"License {license.card} is locked.")
    if license.available_days == 0:
        raise DaypassError(ErrorCode.LICENSE_EXPIRED, f"License {license.card} has expired.")
    if license.device_id is not None:
        raise DaypassError(ErrorCode.LICENSE_BOUND, f"License {license.card} {bound_message}.")


def require_lockable(license: License) -> None:
    if license.locked:
        raise DaypassError(ErrorCode.LICENSE_LOCKED, f"License {license.card} is already locked.")
    if not is_unused(license):
        raise DaypassError(
            ErrorCode.LICENSE_NOT_UNUSED,
            f"Only an Unused license can be locked; {license.card} is not.",
        )


def require_unlockable(license: License) -> None:
    if not is_unlockable(license):
        raise DaypassError(ErrorCode.LICENSE_NOT_LOCKED, f"License {license.card} is not locked.")
