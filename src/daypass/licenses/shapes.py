"""The license and license type SPEC shapes (section 9), shared by the API and the event
snapshots."""

from __future__ import annotations

from daypass.licenses.models import License, LicenseType
from daypass.licenses.status import license_status


def type_models(license_type: LicenseType) -> list[str]:
    # Remembered on the instance: many licenses share one type object (event snapshots, lists).
    codes = getattr(license_type, "_model_codes", None)
    if codes is None:
        codes = license_type._model_codes = sorted(m.code for m in license_type.device_models.all())
    return codes


def license_type_out(license_type: LicenseType) -> dict:
    return {
        "code": license_type.code,
        "name": license_type.name,
        "days": license_type.days,
        "models": type_models(license_type),
        "charge_days": license_type.charge_days,
        "period_hours": license_type.period_hours,
    }


def license_out(license: License) -> dict:
    status = getattr(license, "status", None) or license_status(license)
    return {
        "card": license.card,
        "type": license.type.code,
        "models": type_models(license.type),
        "total_days": license.total_days,
        "available_days": license.available_days,
        "status": str(status),
        "locked": license.locked,
        "activated_at": license.activated_at,
        "device": license.device.number if license.device_id else None,
        "bound_at": license.bound_at,
        "customer": license.customer.number,
    }
