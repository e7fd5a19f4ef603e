"""One deduction (SPEC 4.3): charge one device once, or blacklist it.

This is the path a report takes when its device's paid window has ended. A device none of whose
bound licenses can pay first gets a spare license bound if its owner allows auto-renew
(billing.auto_renew, SPEC 14), then is charged from it in the same transaction. The sweep charges
many devices at once with the same rules in set-based SQL (billing.sweep); both lock the device
row before any license row, so a report racing the sweep, or twenty reports of one device,
charge it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from daypass.billing.auto_renew import devices_auto_renew
from daypass.billing.blacklist import NO_VALID_LICENSE, device_blacklist
from daypass.billing.models import Deduction, DeductionResult, DeductionTrigger
from daypass.devices.models import Device
from daypass.events.causes import license_days_changed
from daypass.licenses.models import License

# The device fields a charge decides on; re-read under the row lock, never trusted from the caller.
DEVICE_STATE_FIELDS = ("service_until", "blacklisted", "blacklisted_at", "blacklist_reason")


def charge_candidates(device_id: int) -> QuerySet:
    """The device's licenses that can pay for one charge, in the order they are used.

    Earliest activation first (never-activated last), then bound-at, then card number.
    """
    return (
        License.objects.filter(device_id=device_id, available_days__gte=F("type__charge_days"))
        .order_by(F("activated_at").asc(nulls_last=True), "bound_at", "card")
        .values_list("pk", "customer_id", "type__charge_days", "type__period_hours")
    )


def device_charge(
    *, device: Device, now: datetime, trigger: str = DeductionTrigger.REPORT
) -> Deduction | None:
    """Charge `device` for one window starting at `now`, or blacklist it if nothing can pay.

    Returns the deduction written (success or failure), or None when no charge was due once the
    device row was locked: someone else charged it first (service-until is now past `now`) or it
    is blacklisted. `device` is refreshed with the locked row's billing fields either way, so the
    caller can answer with the current service-until.
    """
    with transaction.atomic():
        locked = (
            Device.objects.select_for_update()
            .filter(pk=device.pk)
            .values("number", "customer_id", *DEVICE_STATE_FIELDS)
            .get()
        )
        for field, value in locked.items():
            setattr(device, field, value)
        if locked["blacklisted"]:
            return None
        if locked["service_until"] is not None and locked["service_until"] > now:
            return None

        candidate = charge_candidates(device.pk).first()
        if candidate is None and devices_auto_renew(device_ids=[device.pk], now=now):
            candidate = charge_candidates(device.pk).first()
        if candidate is None:
            return _charge_failed(device=device, now=now, trigger=trigger)
        license_id, owner_id, charge_days, period_hours = candidate
        return _charge_license(
            device=device,
            license_id=license_id,
            owner_id=owner_id,
            charge_days=charge_days,
            period_hours=period_hours,
            now=now,
            trigger=trigger,
        )


def _charge_license(
    *,
    device: Device,
    license_id: int,
    owner_id: int,
    charge_days: int,
    period_hours: int,
    now: datetime,
    trigger: str,
) -> Deduction:
    # Locks the license row (devices before licenses, the fixed order). The condition repeats
    # the candidate rule so a concurrent change can never take available days below zero.
    updated = License.objects.filter(
        pk=license_id, device_id=device.pk, available_days__gte=charge_days
    ).update(
        available_days=F("available_days") - charge_days,
        activated_at=Coalesce(F("activated_at"), now),
    )
    if updated != 1:  # pragma: no cover - impossible while the device row is locked
        raise RuntimeError(f"license {license_id} changed under a locked device")
    available_after = License.objects.filter(pk=license_id).values_list(
        "available_days", flat=True
    )[0]
    window_end = now + timedelta(hours=period_hours)
    _grant_service(device=device, until=window_end)
    license_days_changed(
        changes=[(license_id, available_after + charge_days, available_after)], now=now
    )
    return Deduction.objects.create(
        at=now,
        device_id=device.pk,
        license_id=license_id,
        customer_id=owner_id,
        days=charge_days,
        available_days_after=available_after,
        window_start=now,
        window_end=window_end,
        trigger=trigger,
        result=DeductionResult.SUCCESS,
    )


def _grant_service(*, device: Device, until: datetime) -> None:
    Device.objects.filter(pk=device.pk).update(service_until=until)
    device.service_until = until


def _charge_failed(*, device: Device, now: datetime, trigger: str) -> Deduction:
    device_blacklist(device=device, now=now, reason=NO_VALID_LICENSE)
    return Deduction.objects.create(
        at=now,
        device_id=device.pk,
        license_id=None,
        customer_id=device.customer_id,
        days=0,
        window_start=now,
        trigger=trigger,
        result=DeductionResult.FAILED,
        reason=NO_VALID_LICENSE,
    )
