"""When a device's paid usage time will end if nothing changes (shown on the Devices page).

    projected_end = base + Σ floor(available_days / charge_days) × period_hours
    base          = max(service_until, now)   (now if the device was never charged)

summed over the licenses bound to the device with available_days ≥ charge_days: each such
license can still pay for that many windows of period_hours. The base is never in the past
because a device whose paid time has ended is charged at the next report or sweep. A
blacklisted device is not charged until the blacklist is lifted, so its projection is its
service_until. The projection ignores days added later, new bindings and sales.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from daypass.devices.models import Device


def chargeable_hours(device: Device) -> int:
    """Hours of usage time the device's bound licenses can still pay for."""
    hours = 0
    for license in device.licenses.all():
        license_type = license.type
        if license.available_days >= license_type.charge_days:
            hours += (license.available_days // license_type.charge_days) * (
                license_type.period_hours
            )
    return hours


def projected_service_end(device: Device, *, now: datetime) -> datetime | None:
    hours = 0 if device.blacklisted else chargeable_hours(device)
    if hours == 0:
        return device.service_until
    base = device.service_until if device.service_until and device.service_until > now else now
    return base + timedelta(hours=hours)
