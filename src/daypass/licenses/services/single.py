"""Operations on one license: top-up, lock, unlock, bind, unbind."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction

from daypass.core.audit import audit_record
from daypass.core.errors import DaypassError, ErrorCode
from daypass.customers.models import Account
from daypass.devices.locks import lock_device
from daypass.devices.models import Device
from daypass.licenses.models import License
from daypass.licenses.permissions import require_license_operation
from daypass.licenses.rows import (
    lock_license,
    lock_license_with_its_device,
)
from daypass.licenses.services.batches import (
    apply_binds,
    check_bind,
    licenses_top_up_many,
    type_model_ids,
)
from daypass.licenses.status import (
    is_unbindable,
    require_lockable,
    require_unlockable,
)


def license_top_up(*, actor: Account, license: License, days: int, now: datetime) -> License:
    """Add `days` to total and available days (platform admin); lifts the device's blacklist.

    A batch of one: the rules live in `licenses_top_up_many`.
    """
    return licenses_top_up_many(actor=actor, licenses=[license], days=days, now=now)[0]


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
    to a blacklisted device lifts the blacklist. The rules are the batch bind's (`check_bind`,
    `apply_binds`), on the device and the license locked in that order.
    """
    fresh_device = lock_device(device.pk)
    locked = lock_license(license)
    check_bind(
        actor=actor,
        license=locked,
        device=fresh_device,
        type_models=type_model_ids({locked.type_id}),
    )
    apply_binds(actor=actor, bound=[(locked, fresh_device)], batch=uuid.uuid4(), now=now)
    locked.refresh_from_db()
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
