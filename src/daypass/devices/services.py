"""Writes on device models and devices.

Error order, as in `licenses.services`: visibility (`not_found`), permission (`forbidden`),
input values (`validation_error`). Devices are locked before licenses, each by primary key.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import IntegrityError, transaction

from daypass.core.audit import audit_record, audit_record_many
from daypass.core.errors import Forbidden, NotFound, ValidationFailed
from daypass.core.limits import AUDIT_MAX_ITEMS, CODE_MAX_LENGTH, NAME_MAX_LENGTH
from daypass.core.tenancy import (
    customer_visible_to,
    require_customer_visible,
    require_platform_admin,
)
from daypass.customers.models import Account, Customer
from daypass.devices.locks import lock_device, lock_devices_in_order
from daypass.devices.models import Device, DeviceModel
from daypass.events.causes import devices_restored
from daypass.events.types import RestoreCause
from daypass.licenses.bulk import move_licenses
from daypass.licenses.models import License, TransferMethod
from daypass.licenses.permissions import require_owner_operation
from daypass.licenses.rows import TransferResult, lock_licenses_in_order

# Callers inside daypass that lift a blacklist as a side effect of their own, already
# authorised, operation (SPEC 4.5). Any other reason is a hand action: platform admin only.
AUTOMATIC_BLACKLIST_CLEAR_REASONS = frozenset({"license_bind", "license_top_up"})
# The `cause` of `device.restored` (SPEC 12.1) for each automatic reason.
RESTORE_CAUSE_BY_REASON = {"license_bind": RestoreCause.BIND, "license_top_up": RestoreCause.TOP_UP}
BLACKLIST_CLEAR_REASON_MAX = 500


def _clean_code(value: str, *, field: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > max_length:
        raise ValidationFailed(
            message=f"{field} must be 1 to {max_length} characters.", field=field
        )
    return value


@transaction.atomic
def device_model_create(*, actor: Account, code: str, name: str, now: datetime) -> DeviceModel:
    require_platform_admin(actor, "create device models")
    code = _clean_code(code, field="code", max_length=CODE_MAX_LENGTH)
    name = (name or "").strip()
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            message=f"name must be at most {NAME_MAX_LENGTH} characters.", field="name"
        )
    if DeviceModel.objects.filter(code=code).exists():
        raise ValidationFailed(message=f"Device model {code} already exists.", field="code")
    try:
        with transaction.atomic():
            device_model = DeviceModel.objects.create(code=code, name=name)
    except IntegrityError:
        raise ValidationFailed(
            message=f"Device model {code} already exists.", field="code"
        ) from None
    audit_record(actor=actor, action="device_model.create", now=now, target=code, name=name)
    return device_model


@transaction.atomic
def device_register(
    *, actor: Account, number: str, model: DeviceModel, customer: Customer, now: datetime
) -> Device:
    """Register a new unit for `customer` (platform admin)."""
    require_platform_admin(actor, "register devices")
    require_customer_visible(actor, customer)
    number = _clean_code(number, field="number", max_length=CODE_MAX_LENGTH)
    if Device.objects.filter(number=number).exists():
        raise ValidationFailed(message=f"Device {number} already exists.", field="number")
    try:
        with transaction.atomic():
            device = Device.objects.create(
                number=number, model=model, customer=customer, registered_at=now
            )
    except IntegrityError:
        raise ValidationFailed(message=f"Device {number} already exists.", field="number") from None
    audit_record(
        actor=actor,
        action="device.register",
        now=now,
        target=number,
        model=model.code,
        customer=customer.number,
    )
    return device


@transaction.atomic
def devices_transfer(
    *, actor: Account, devices: list[Device], to: Customer, now: datetime
) -> TransferResult:
    """Move devices anywhere inside the actor's subtree; their bound licenses go with them.

    Each license that changes owner gets a transfer with method `device`; one batch id for the
    whole operation. A device already owned by `to` stays where it is; when every device
    already is, the transfer is a `validation_error` (it never reports moving what stayed put).
    Moving a license owned
    by a customer other than the actor's own is managing that customer's license (SPEC 3): the
    actor must be an admin (`forbidden`) and the owner must allow its superiors to manage its
    licenses (`superior_management_disabled`), else nothing moves.
    """
    if not devices:
        raise ValidationFailed(message="Name at least one device.", field="devices")
    pks = sorted({d.pk for d in devices})
    locked = lock_devices_in_order(pks)
    by_pk = {device.pk: device for device in locked}
    # The first device, in request order, that is gone or outside the subtree decides.
    for device in devices:
        fresh = by_pk.get(device.pk)
        if fresh is None or not customer_visible_to(actor, fresh.customer):
            raise NotFound(message=f"Device {device.number} not found.")
    require_customer_visible(actor, to)
    if not actor.can_operate:
        raise Forbidden(message="Your role may not move devices.")
    if all(d.customer_id == to.pk for d in locked):
        # A transfer that would move nothing is refused rather than reported as done.
        named = ", ".join(d.number for d in locked[:3]) + ("…" if len(locked) > 3 else "")
        which = (
            f"device {named} already belongs"
            if len(locked) == 1
            else (f"devices {named} already belong")
        )
        raise ValidationFailed(
            message=f"Nothing to move: {which} to {to.name} ({to.number}).", field="to"
        )
    license_pks = License.objects.filter(device__in=locked).values_list("pk", flat=True)
    licenses = lock_licenses_in_order(license_pks)
    batch = uuid.uuid4()
    moving = [lic for lic in licenses if lic.customer_id != to.pk]
    owners = {
        lic.customer_id: lic.customer for lic in moving if lic.customer_id != actor.customer_id
    }
    for owner_pk in sorted(owners):
        require_owner_operation(actor, owners[owner_pk], "move_with_device")
    if moving:
        move_licenses(
            licenses=[(lic.pk, lic.card, lic.customer_id) for lic in moving],
            to=to,
            method=TransferMethod.DEVICE,
            batch=batch,
            actor=actor,
            now=now,
        )
    from_customers = sorted({d.customer.number for d in locked})
    Device.objects.filter(pk__in=pks).update(customer=to)
    for device in locked:
        device.customer = to
    audit_record(
        actor=actor,
        action="device.transfer",
        now=now,
        target=str(batch),
        to=to.number,
        from_customers=from_customers,
        devices=[d.number for d in locked[:AUDIT_MAX_ITEMS]],
        count=len(locked),
        licenses=[lic.card for lic in moving[:AUDIT_MAX_ITEMS]],
    )
    return TransferResult(batch=batch, devices=sorted(locked, key=lambda d: d.number))


@transaction.atomic
def device_clear_blacklist(
    *, actor: Account, device: Device, now: datetime, reason: str, by_hand: bool = False
) -> Device:
    """Lift the blacklist (SPEC 4.5).

    By hand it is the platform admin's; bind and top-up call it with their own reason after
    checking their own permissions. Clearing a device that is not blacklisted changes nothing.
    `by_hand=True` (the API and the console) always checks, whatever the reason's text says, so
    a typed reason can never pass for one of the automatic ones.
    """
    cause = None
    if by_hand or reason not in AUTOMATIC_BLACKLIST_CLEAR_REASONS:
        cause = RestoreCause.MANUAL
        if not customer_visible_to(actor, device.customer):
            raise NotFound(message=f"Device {device.number} not found.")
        require_platform_admin(actor, "clear a blacklist by hand")
        reason = reason.strip()
        if not reason or len(reason) > BLACKLIST_CLEAR_REASON_MAX or "\x00" in reason:
            raise ValidationFailed(
                message=f"reason: give 1 to {BLACKLIST_CLEAR_REASON_MAX} characters.",
                field="reason",
            )
    fresh = lock_device(device.pk)
    if not fresh.blacklisted:
        return fresh
    devices_lift_blacklists(actor=actor, devices=[fresh], now=now, reason=reason, cause=cause)
    fresh.refresh_from_db()
    return fresh


def devices_lift_blacklists(
    *,
    actor: Account,
    devices: list[Device],
    now: datetime,
    reason: str,
    cause: RestoreCause | None = None,
) -> int:
    """Lift the blacklist of every device given that is blacklisted, set-based; returns how many.

    The one home of what lifting changes. Callers have locked the devices and checked their own
    permission (a hand clear through `device_clear_blacklist`, cause `manual`; a batch top-up or
    bind, reason `license_top_up` / `license_bind`, whose cause follows from the reason when
    `cause` is not given). One audit event per lifted device.
    """
    lifted = [d for d in devices if d.blacklisted]
    if not lifted:
        return 0
    # SPEC 14: the count of refusals starts again; when the last one was stays known.
    Device.objects.filter(pk__in=[d.pk for d in lifted]).update(
        blacklisted=False, blacklisted_at=None, blacklist_reason="", refused_reports=0
    )
    audit_record_many(
        actor=actor,
        action="device.blacklist_clear",
        now=now,
        targets=[
            (d.number, {"reason": reason, "previous_reason": d.blacklist_reason}) for d in lifted
        ],
    )
    for device in lifted:
        device.blacklisted = False
        device.blacklisted_at = None
        device.blacklist_reason = ""
        device.refused_reports = 0
    devices_restored(
        device_ids=[d.pk for d in lifted],
        cause=cause or RESTORE_CAUSE_BY_REASON[reason],
        now=now,
    )
    return len(lifted)
