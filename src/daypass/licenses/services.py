"""Writes on licenses (SPEC section 3).

Every service is one transaction and writes one audit event. Rows are locked with
`select_for_update` in a fixed order (devices before licenses, each by primary key) and every
precondition is checked on the locked rows, so two concurrent operations cannot both pass.

When several preconditions fail, the first in this order decides the error:

1. visibility: the license (and device, customer) outside the actor's subtree → `not_found`;
2. permission: role and superior rules of `licenses.permissions` → `forbidden`,
   `superior_management_disabled`;
3. input values (quantity, days, an empty list) → `validation_error`;
4. the target: `not_a_child` / `no_superior`, `device_not_in_subtree`;
5. the state of each license, in card order: `license_locked`, `license_expired`,
   `license_bound` / `license_not_bound` / `license_not_unused` / `license_not_locked`;
6. for bind, last: `model_mismatch`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet

from daypass.core.audit import audit_record
from daypass.core.errors import DaypassError, NotFound, ValidationFailed
from daypass.customers.models import Account, Customer
from daypass.devices.models import Device, DeviceModel
from daypass.devices.services import device_clear_blacklist, lock_device
from daypass.licenses.models import License, LicenseType, TopUp, TransferMethod
from daypass.licenses.permissions import (
    customer_visible_to,
    require_customer_visible,
    require_license_operation,
    require_owner_operation,
    require_platform_admin,
)
from daypass.licenses.rows import (
    BULK_CHUNK,
    lock_license,
    lock_license_with_its_device,
    lock_licenses_in_order,
    move_licenses_with_transfers,
)

ISSUE_MAX_QUANTITY = 100_000
TOP_UP_MAX_DAYS = 36_500
LICENSE_TYPE_MAX_DAYS = 36_500
# Issued cards are CARD_PREFIX + a zero-padded sequence, so card order is issue order.
CARD_PREFIX = "DP"
CARD_DIGITS = 10
# Audit events name at most this many cards; the count is always recorded.
AUDIT_MAX_CARDS = 200


@dataclass(frozen=True)
class TransferResult:
    batch: uuid.UUID
    licenses: list[License]


# --- helpers -------------------------------------------------------------------------------


def _audit_cards(licenses: Sequence[License]) -> dict:
    return {
        "count": len(licenses),
        "cards": [lic.card for lic in licenses[:AUDIT_MAX_CARDS]],
    }


def _require_int(value: object, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(message=f"{field} must be a whole number.", field=field)
    if not low <= value <= high:
        raise ValidationFailed(message=f"{field} must be between {low} and {high}.", field=field)
    return value


def _require_sellable(license: License) -> None:
    """Sell and return need every license unbound, unlocked and not expired."""
    if license.locked:
        raise DaypassError("license_locked", f"License {license.card} is locked.")
    if license.available_days == 0:
        raise DaypassError("license_expired", f"License {license.card} has expired.")
    if license.device_id is not None:
        raise DaypassError("license_bound", f"License {license.card} is bound to a device.")


def _distinct_by_pk(licenses: Iterable[License]) -> list[License]:
    return list({lic.pk: lic for lic in licenses}.values())


# --- license types and issue --------------------------------------------------------------


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
    if not code or len(code) > 64:
        raise ValidationFailed(message="code must be 1 to 64 characters.", field="code")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed(message="name must be 1 to 200 characters.", field="name")
    _require_int(days, field="days", low=1, high=LICENSE_TYPE_MAX_DAYS)
    _require_int(charge_days, field="charge_days", low=1, high=LICENSE_TYPE_MAX_DAYS)
    _require_int(period_hours, field="period_hours", low=1, high=24 * LICENSE_TYPE_MAX_DAYS)
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


def _next_card_sequence() -> int:
    """The sequence number after the highest issued card (call with the issue lock held)."""
    highest = (
        License.objects.filter(
            card__gte=CARD_PREFIX + "0" * CARD_DIGITS,
            card__lte=CARD_PREFIX + "9" * CARD_DIGITS,
            card__regex=rf"^{CARD_PREFIX}[0-9]{{{CARD_DIGITS}}}$",
        )
        .order_by("-card")
        .values_list("card", flat=True)
        .first()
    )
    return int(highest[len(CARD_PREFIX) :]) + 1 if highest else 1


@transaction.atomic
def licenses_issue(
    *,
    actor: Account,
    license_type: LicenseType,
    quantity: int,
    customer: Customer | None = None,
    now: datetime,
) -> list[License]:
    """Create `quantity` licenses for the platform, or for `customer` (recorded as a sale).

    Cards are `DP` + a 10-digit sequence. Issues are serialised by locking the platform row,
    so two concurrent issues never pick the same numbers.
    """
    require_platform_admin(actor, "issue licenses")
    platform = actor.customer
    if customer is not None:
        require_customer_visible(actor, customer)
    _require_int(quantity, field="quantity", low=1, high=ISSUE_MAX_QUANTITY)
    Customer.objects.select_for_update().filter(pk=platform.pk).first()
    first = _next_card_sequence()
    if first + quantity - 1 >= 10**CARD_DIGITS:
        raise ValidationFailed(message="The card number space is exhausted.", field="quantity")
    owner = platform
    licenses = [
        License(
            card=f"{CARD_PREFIX}{first + i:0{CARD_DIGITS}d}",
            type=license_type,
            customer=owner,
            issued_days=license_type.days,
            total_days=license_type.days,
            available_days=license_type.days,
            created_at=now,
        )
        for i in range(quantity)
    ]
    License.objects.bulk_create(licenses, batch_size=BULK_CHUNK)
    if licenses[0].pk is None:
        # Backends that do not return primary keys from bulk inserts.
        by_card = dict(
            License.objects.filter(
                card__gte=licenses[0].card, card__lte=licenses[-1].card
            ).values_list("card", "pk")
        )
        for lic in licenses:
            lic.pk = by_card[lic.card]
    batch = None
    if customer is not None and customer.pk != platform.pk:
        batch = uuid.uuid4()
        move_licenses_with_transfers(
            licenses=licenses,
            to_of=customer,
            method=TransferMethod.SELL,
            batch=batch,
            actor=actor,
            now=now,
        )
    audit_record(
        actor=actor,
        action="license.issue",
        now=now,
        target=license_type.code,
        type=license_type.code,
        quantity=quantity,
        customer=(customer or platform).number,
        first_card=licenses[0].card,
        last_card=licenses[-1].card,
        batch=str(batch) if batch else None,
    )
    return licenses


# --- one license ---------------------------------------------------------------------------


@transaction.atomic
def license_top_up(*, actor: Account, license: License, days: int, now: datetime) -> License:
    """Add `days` to total and available days (platform admin); lifts the device's blacklist."""
    locked, device = lock_license_with_its_device(license)
    require_license_operation(actor, locked, "top_up")
    _require_int(days, field="days", low=1, high=TOP_UP_MAX_DAYS)
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
    if locked.locked:
        raise DaypassError("license_locked", f"License {locked.card} is already locked.")
    if locked.available_days == 0 or locked.device_id or locked.activated_at:
        raise DaypassError(
            "license_not_unused", f"Only an Unused license can be locked; {locked.card} is not."
        )
    locked.locked = True
    locked.save(update_fields=["locked"])
    audit_record(actor=actor, action="license.lock", now=now, target=locked.card)
    return locked


@transaction.atomic
def license_unlock(*, actor: Account, license: License, now: datetime) -> License:
    locked = lock_license(license)
    require_license_operation(actor, locked, "unlock")
    if not locked.locked:
        raise DaypassError("license_not_locked", f"License {locked.card} is not locked.")
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
    if locked.locked:
        raise DaypassError("license_locked", f"License {locked.card} is locked.")
    if locked.available_days == 0:
        raise DaypassError("license_expired", f"License {locked.card} has expired.")
    if locked.device_id is not None:
        raise DaypassError("license_bound", f"License {locked.card} is already bound.")
    if not fresh_device.customer.path.startswith(locked.customer.path):
        raise DaypassError(
            "device_not_in_subtree",
            f"Device {fresh_device.number} belongs neither to {locked.customer.number} "
            "nor to one of its sub-customers.",
        )
    if not locked.type.device_models.filter(pk=fresh_device.model_id).exists():
        raise DaypassError(
            "model_mismatch",
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
    if device is None:
        raise DaypassError("license_not_bound", f"License {locked.card} is not bound.")
    locked.device = None
    locked.bound_at = None
    locked.save(update_fields=["device", "bound_at"])
    audit_record(
        actor=actor, action="license.unbind", now=now, target=locked.card, device=device.number
    )
    return locked


# --- batches -------------------------------------------------------------------------------


def _lock_batch(licenses: Iterable[License]) -> list[License]:
    given = _distinct_by_pk(licenses)
    if not given:
        raise ValidationFailed(message="Name at least one license.", field="cards")
    locked = lock_licenses_in_order(lic.pk for lic in given)
    if len(locked) != len(given):
        raise NotFound(message="License not found.")
    return sorted(locked, key=lambda lic: lic.card)


@transaction.atomic
def licenses_sell(
    *, actor: Account, licenses: list[License], to: Customer, now: datetime
) -> TransferResult:
    """Move the licenses to `to`, a child of their owner: all of them or none."""
    locked = _lock_batch(licenses)
    for lic in locked:
        require_license_operation(actor, lic, "sell")
    require_customer_visible(actor, to)
    for lic in locked:
        if to.parent_id != lic.customer_id:
            raise DaypassError(
                "not_a_child",
                f"{to.number} is not a child of {lic.customer.number}, the owner of {lic.card}.",
            )
    for lic in locked:
        _require_sellable(lic)
    batch = uuid.uuid4()
    move_licenses_with_transfers(
        licenses=locked, to_of=to, method=TransferMethod.SELL, batch=batch, actor=actor, now=now
    )
    audit_record(
        actor=actor,
        action="license.sell",
        now=now,
        target=str(batch),
        to=to.number,
        **_audit_cards(locked),
    )
    return TransferResult(batch=batch, licenses=locked)


@transaction.atomic
def licenses_return(*, actor: Account, licenses: list[License], now: datetime) -> TransferResult:
    """Move each license to its owner's parent: all of them or none."""
    locked = _lock_batch(licenses)
    for lic in locked:
        require_license_operation(actor, lic, "return")
    for lic in locked:
        if lic.customer.parent_id is None:
            raise DaypassError(
                "no_superior", f"{lic.customer.number} has no superior to return {lic.card} to."
            )
    for lic in locked:
        _require_sellable(lic)
    parents = {
        c.pk: c for c in Customer.objects.filter(pk__in={lic.customer.parent_id for lic in locked})
    }
    batch = uuid.uuid4()
    targets = {lic.pk: parents[lic.customer.parent_id] for lic in locked}
    move_licenses_with_transfers(
        licenses=locked,
        to_of=targets,
        method=TransferMethod.RETURN,
        batch=batch,
        actor=actor,
        now=now,
    )
    audit_record(
        actor=actor,
        action="license.return",
        now=now,
        target=str(batch),
        to=sorted({c.number for c in targets.values()}),
        **_audit_cards(locked),
    )
    return TransferResult(batch=batch, licenses=locked)


def licenses_batch_select(
    *,
    actor: Account,
    customer: Customer,
    quantity: int,
    purpose: Literal["sell", "return"],
    license_type: LicenseType | None = None,
    queryset: QuerySet[License] | None = None,
) -> list[License]:
    """Pick `quantity` licenses of `customer` that may be sold/returned, oldest card first.

    `queryset` narrows the choice (the list's current filters). Fewer eligible than asked:
    `insufficient_quantity`. Nothing is locked here; the sell/return re-checks every license.
    """
    if purpose not in ("sell", "return"):
        raise ValidationFailed(message="purpose must be sell or return.", field="purpose")
    require_owner_operation(actor, customer, purpose)
    _require_int(quantity, field="quantity", low=1, high=ISSUE_MAX_QUANTITY)
    if purpose == "return" and customer.parent_id is None:
        raise DaypassError("no_superior", f"{customer.number} has no superior to return to.")
    base = queryset if queryset is not None else License.objects.all()
    eligible = base.filter(
        customer=customer, device__isnull=True, locked=False, available_days__gt=0
    )
    if license_type is not None:
        eligible = eligible.filter(type=license_type)
    chosen = list(eligible.select_related("customer", "type").order_by("card")[:quantity])
    if len(chosen) < quantity:
        raise DaypassError(
            "insufficient_quantity",
            f"Only {len(chosen)} licenses can be chosen, {quantity} were asked for.",
        )
    return chosen
