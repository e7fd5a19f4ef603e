"""Operations on one license: top-up, lock, unlock, bind, unbind."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.db.models import F

from daypass.core.audit import audit_record
from daypass.core.errors import DaypassError, ErrorCode, NotFound
from daypass.core.limits import MAX_DAYS
from daypass.core.tenancy import customer_visible_to, in_subtree_of
from daypass.customers.models import Account
from daypass.devices.locks import lock_device
from daypass.devices.models import Device
from daypass.devices.services import device_clear_blacklist
from daypass.licenses.models import License, TopUp, TransferMethod
from daypass.licenses.permissions import require_license_operation
from daypass.licenses.rows import (
    lock_license,
    lock_license_with_its_device,
    move_licenses_with_transfers,
)
from daypass.licenses.services.common import require_int
from daypass.licenses.status import (
    is_unbindable,
    require_lockable,
    require_movable,
    require_unlockable,
)


@transaction.atomic
def license_top_up(*, actor: Account, license: License, days: int, now: datetime) -> License:
    """Add `days` to total and available days (platform admin); lifts the device's blacklist."""
    locked, device = lock_license_with_its_device(license)
    require_license_operation(actor, locked, "top_up")
    require_int(days, field="days", low=1, high=MAX_DAYS)
    License.objects.filter(pk=locked.pk).update(
        total_days=F("total_days") + days, available_days=F("available_days") + days
    )
    locked.refresh_from_db(fields=["total_days", "available_days"])
    TopUp.objects.create(at=now, license=locked, days=days, account=actor)
    audit_record(
        actor=actor,
        action="license.top_up",
        now=now,
        target=locked.card,
        days=days,
        total_days=locked.total_days,
        available_days=locked.available_days,
    )
    if device is not None and device.blacklisted:
        device_clear_blacklist(actor=actor, device=device, now=now, reason="license_top_up")
    return locked


@transaction.atomic
def license_lock(*, actor: Account, license: License, now: datetime) -> License:
    """Lock an Unused license so it can be neither sold, returned nor bound."""
    locked = lock_license(license)
    require_license_operation(actor, locked, "lock")
    require_lockable(locked)
    locked.locked = True
    locked.save(update_fields=["locked"])
    audit_record(actor=actor, action="license.lock", now=now, target=locked.card)
    return locked


@transaction.atomic
def license_unlock(*, actor: Account, license: License, now: datetime) -> License:
    locked = lock_license(license)
    require_license_operation(actor, locked, "unlock")
    require_unlockable(locked)
    locked.locked = False
    locked.save(update_fields=["locked"])
    audit_record(actor=actor, action="license.unlock", now=now, target=locked.card)
    return locked


@transaction.atomic
def license_bind(*, actor: Account, license: License, device: Device, now: datetime) -> License:
    """Bind the license to the device.

    If the device belongs to a sub-customer of the owner, the license is first transferred to
    that sub-customer (method `bind`). Binding a license with at least `charge_days` available
    to a blacklisted device lifts the blacklist.
    """
    fresh_device = lock_device(device.pk)
    locked = lock_license(license)
    require_license_operation(actor, locked, "bind")
    if not customer_visible_to(actor, fresh_device.customer):
        raise NotFound(message=f"Device {fresh_device.number} not found.")
    require_movable(locked, bound_message="is already bound")
    if not in_subtree_of(fresh_device.customer, locked.customer):
        raise DaypassError(
            ErrorCode.DEVICE_NOT_IN_SUBTREE,
            f"Device {fresh_device.number} belongs neither to {locked.customer.number} "
            "nor to one of its sub-customers.",
        )
    if not locked.type.device_models.filter(pk=fresh_device.model_id).exists():
        raise DaypassError(
            ErrorCode.MODEL_MISMATCH,
            f"License type {locked.type.code} does not fit device model {fresh_device.model.code}.",
        )
    previous_owner = locked.customer
    batch = None
    if fresh_device.customer_id != locked.customer_id:
        batch = uuid.uuid4()
        move_licenses_with_transfers(
            licenses=[locked],
            to_of=fresh_device.customer,
            method=TransferMethod.BIND,
            batch=batch,
            actor=actor,
            now=now,
        )
    locked.device = fresh_device
    locked.bound_at = now
    locked.save(update_fields=["device", "bound_at"])
    audit_record(
        actor=actor,
        action="license.bind",
        now=now,
        target=locked.card,
        device=fresh_device.number,
        owner=previous_owner.number,
        transferred_to=fresh_device.customer.number if batch else None,
        batch=str(batch) if batch else None,
    )
    if fresh_device.blacklisted and locked.available_days >= locked.type.charge_days:
        device_clear_blacklist(actor=actor, device=fresh_device, now=now, reason="license_bind")
    return locked


@transaction.atomic
def license_unbind(*, actor: Account, license: License, now: datetime) -> License:
    """Clear the binding. The device keeps the usage time it has already paid for."""
    locked, device = lock_license_with_its_device(license)
    require_license_operation(actor, locked, "unbind")
    if device is None or not is_unbindable(locked):
        raise DaypassError(ErrorCode.LICENSE_NOT_BOUND, f"License {locked.card} is not bound.")
    locked.device = None
    locked.bound_at = None
    locked.save(update_fields=["device", "bound_at"])
    audit_record(
        actor=actor, action="license.unbind", now=now, target=locked.card, device=device.number
    )
    return locked
