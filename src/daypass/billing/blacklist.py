"""Putting a device on the blacklist (SPEC 4.3 failure path).

Leaving it (SPEC 4.5: on bind, on top-up, by hand) is `devices.services.device_clear_blacklist`,
called by the license services and by the platform admin's UI/API.
"""

from __future__ import annotations

from datetime import datetime

from daypass.core.models import AuditEvent
from daypass.devices.models import Device
from daypass.events.causes import devices_blacklisted

NO_VALID_LICENSE = "no_valid_license"
BLACKLIST_ACTION = "device.blacklist"


def device_blacklist(*, device: Device, now: datetime, reason: str) -> Device:
    """Flag `device` as blacklisted since `now`. The caller holds the device row lock.

    The system does this, not a person, so the audit event has no actor; its acting customer is
    the device's owner, so the event shows in that customer's history. (Written directly rather
    than through `audit_record`, which wants the customer object and the sweep has only ids.)
    """
    Device.objects.filter(pk=device.pk).update(
        blacklisted=True, blacklisted_at=now, blacklist_reason=reason
    )
    device.blacklisted = True
    device.blacklisted_at = now
    device.blacklist_reason = reason
    AuditEvent.objects.create(
        at=now,
        actor=None,
        actor_username="",
        acting_customer_id=device.customer_id,
        action=BLACKLIST_ACTION,
        target=device.number,
        details={"reason": reason},
        ip_address=None,
    )
    devices_blacklisted(device_ids=[device.pk], reason=reason, now=now)
    return device
