"""License types: the products the platform sells."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from daypass.core.audit import audit_record
from daypass.core.errors import ValidationFailed
from daypass.core.limits import CODE_MAX_LENGTH, MAX_DAYS, MAX_PERIOD_HOURS, NAME_MAX_LENGTH
from daypass.core.tenancy import require_platform_admin
from daypass.customers.models import Account
from daypass.devices.models import DeviceModel
from daypass.licenses.models import LicenseType
from daypass.licenses.services.common import require_int


@transaction.atomic
def license_type_create(
    *,
    actor: Account,
    code: str,
    name: str,
    days: int,
    models: list[DeviceModel],
    charge_days: int = 1,
    period_hours: int = 24,
    now: datetime,
) -> LicenseType:
    """A new product (platform admin). The model range must name at least one device model."""
    require_platform_admin(actor, "create license types")
    code = (code or "").strip()
    if not code or len(code) > CODE_MAX_LENGTH:
        raise ValidationFailed(
            message=f"code must be 1 to {CODE_MAX_LENGTH} characters.", field="code"
        )
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            message=f"name must be 1 to {NAME_MAX_LENGTH} characters.", field="name"
        )
    require_int(days, field="days", low=1, high=MAX_DAYS)
    require_int(charge_days, field="charge_days", low=1, high=MAX_DAYS)
    require_int(period_hours, field="period_hours", low=1, high=MAX_PERIOD_HOURS)
    if not models:
        raise ValidationFailed(
            message="models must name at least one device model.", field="models"
        )
    if LicenseType.objects.filter(code=code).exists():
        raise ValidationFailed(message=f"License type {code} already exists.", field="code")
    try:
        with transaction.atomic():
            license_type = LicenseType.objects.create(
                code=code, name=name, days=days, charge_days=charge_days, period_hours=period_hours
            )
    except IntegrityError:
        raise ValidationFailed(
            message=f"License type {code} already exists.", field="code"
        ) from None
    license_type.device_models.set(models)
    audit_record(
        actor=actor,
        action="license_type.create",
        now=now,
        target=code,
        name=name,
        days=days,
        models=sorted(m.code for m in models),
        charge_days=charge_days,
        period_hours=period_hours,
    )
    return license_type
