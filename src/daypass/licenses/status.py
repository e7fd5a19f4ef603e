"""License status (SPEC section 2): one SQL expression and one Python function.

Both evaluate the same rules top to bottom; tests/licenses/test_status.py checks every
combination of the fields against both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, CharField, Q, Value, When

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
