"""Batch operations of the console and the API for the whole tree (SPEC 13): top up many
licenses, bind many devices, each all-or-nothing in one transaction, set-based (issue 12).

`licenses_top_up_many` is the one home of a top-up (the single `license_top_up` is a batch of
one). `licenses_bind_batch` binds with the rules of `license_bind`, checked on rows locked in
the fixed order (devices, then licenses, each by id). Their `*_preview` twins run the same rules
without writing and report every bad row (`RowError`, row from 1) for the console's previews.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from daypass.core.audit import audit_record, audit_record_many
from daypass.core.batch_errors import RowError
from daypass.core.errors import DaypassError, ErrorCode, NotFound, ValidationFailed
from daypass.core.limits import MAX_BIND_BATCH, MAX_DAYS, MAX_TOP_UP_BATCH
from daypass.core.tenancy import customer_visible_to, in_subtree_of
from daypass.customers.models import Account, Customer
from daypass.devices.models import Device
from daypass.devices.services import devices_lift_blacklists
from daypass.licenses import bulk
from daypass.licenses.models import License, LicenseType, TransferMethod
from daypass.licenses.permissions import require_license_operation, require_owner_operation
from daypass.licenses.services.common import audit_cards, require_int
from daypass.licenses.status import is_movable, require_movable

# --- top-up ----------------------------------------------------------------------------------


@transaction.atomic
def licenses_top_up_many(
    *, actor: Account, licenses: Sequence[License], days: int, now: datetime
) -> list[License]:
    """Add `days` to the total and available days of every license (platform admin), all or
    nothing: the one home of a top-up (`license_top_up` is a batch of one).

    One TopUp ledger row per license; the blacklist of every bound device is lifted (SPEC 4.5).
    Errors in the order of the license services: a license gone or outside the subtree
    (`not_found`, the first in request order), then the permission, then `days`. Returns the
    licenses with their new values, in card order.
    """
    refs = bulk.license_refs(licenses)
    if not refs:
        raise ValidationFailed(message="Name at least one license.", field="cards")
    if len(refs) > MAX_TOP_UP_BATCH:
        raise ValidationFailed(
            message=f"At most {MAX_TOP_UP_BATCH} licenses can be topped up at once.",
            field="cards",
        )
    ids = [pk for pk, _card in refs]
    rows = {row.id: row for row in bulk.lock_licenses_with_their_devices(ids)}
    owners = Customer.objects.in_bulk({row.customer_id for row in rows.values()})
    for pk, card in refs:
        if pk not in rows or not customer_visible_to(actor, owners[rows[pk].customer_id]):
            raise NotFound(message=f"License {card} not found.")
    for owner in owners.values():
        require_owner_operation(actor, owner, "top_up")
    require_int(days, field="days", low=1, high=MAX_DAYS)
    bulk.add_days(ids=ids, days=days, actor=actor, now=now)
    topped = list(
        License.objects.select_related("customer", "type", "device__customer")
        .filter(pk__in=ids)
        .order_by("card")
    )
    if len(topped) == 1:
        (lic,) = topped
        details = {
            "target": lic.card,
            "total_days": lic.total_days,
            "available_days": lic.available_days,
        }
    else:
        details = {"target": f"{len(topped)} licenses", **audit_cards(topped)}
    audit_record(actor=actor, action="license.top_up", now=now, days=days, **details)
    devices = {lic.device.pk: lic.device for lic in topped if lic.device_id is not None}
    devices_lift_blacklists(
        actor=actor, devices=list(devices.values()), now=now, reason="license_top_up"
    )
    return topped


# --- bind ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BindItem:
    """One line of a bind batch: a device and either a card or a license code (type)."""

    device: str
    card: str | None = None
    type: str | None = None


@dataclass
class BindBatchResult:
    batch: uuid.UUID
    # (device number, card) per item, in request order.
    items: list[tuple[str, str]]
    errors: list[RowError] = field(default_factory=list)


class _Stop(Exception):
    """Ends a preview's transaction (everything is rolled back)."""


def licenses_bind_batch(*, actor: Account, items: Sequence[BindItem], now: datetime):
    """Bind every item, all or nothing. The first bad item (request order) decides the error,
    with the code `license_bind` gives; a type picks the oldest eligible card of the actor's
    customer (unbound, unlocked, not Expired, the device's model in its range)."""
    with transaction.atomic():
        result = _bind_items(actor=actor, items=items, now=now, collect_errors=False)
    return result


def licenses_bind_batch_preview(
    *, actor: Account, items: Sequence[BindItem], now: datetime
) -> BindBatchResult:
    """What `licenses_bind_batch` would do, and every bad row, without writing anything."""
    outcome: list[BindBatchResult] = []
    try:
        with transaction.atomic():
            outcome.append(_bind_items(actor=actor, items=items, now=now, collect_errors=True))
            raise _Stop
    except _Stop:
        pass
    return outcome[0]


def _bind_items(
    *, actor: Account, items: Sequence[BindItem], now: datetime, collect_errors: bool
) -> BindBatchResult:
    if not items:
        raise ValidationFailed(message="Name at least one item.", field="items")
    if len(items) > MAX_BIND_BATCH:
        raise ValidationFailed(
            message=f"At most {MAX_BIND_BATCH} items can be bound at once.", field="items"
        )
    errors: list[RowError] = []

    def fail(row: int, error: DaypassError) -> None:
        if not collect_errors:
            error.message = f"Item {row}: {error.message}"
            raise error
        errors.append(RowError.of(row, error))

    # Look up what the items name (404 for anything the actor cannot see, in request order).
    devices = {
        d.number: d
        for d in Device.objects.filter(number__in={item.device for item in items}).only("pk")
    }
    cards = {
        lic.card: lic
        for lic in License.objects.filter(card__in={i.card for i in items if i.card}).only("pk")
    }
    types = {
        t.code: t for t in LicenseType.objects.filter(code__in={i.type for i in items if i.type})
    }
    for row, item in enumerate(items, start=1):
        if (item.card is None) == (item.type is None):
            fail(row, ValidationFailed(message="Give either card or type.", field="items"))
        elif item.device not in devices:
            fail(row, NotFound(message=f"Device {item.device} not found."))
        elif item.card is not None and item.card not in cards:
            fail(row, NotFound(message=f"License {item.card} not found."))
        elif item.type is not None and item.type not in types:
            fail(row, NotFound(message=f"License type {item.type} not found."))

    # Lock the devices, then every license the batch may take, each by id.
    bulk.lock_rows(Device, sorted({d.pk for d in devices.values()}))
    locked_devices = Device.objects.select_related("customer", "model").in_bulk(
        [d.pk for d in devices.values()]
    )
    own = actor.customer
    wanted_by_type: dict[int, int] = {}
    for item in items:
        if item.type in types:
            type_id = types[item.type].pk
            wanted_by_type[type_id] = wanted_by_type.get(type_id, 0) + 1
    pools: dict[int, list[int]] = {
        type_id: bulk.select_eligible_ids(
            customer_id=own.pk, quantity=wanted, type_id=type_id, lock=False
        )
        for type_id, wanted in wanted_by_type.items()
    }
    candidate_ids = {lic.pk for lic in cards.values()} | {
        pk for pool in pools.values() for pk in pool
    }
    bulk.lock_rows(License, sorted(candidate_ids))
    locked_licenses = License.objects.select_related("customer", "type").in_bulk(candidate_ids)
    type_models = type_model_ids(
        {lic.type_id for lic in locked_licenses.values()} | {t.pk for t in types.values()}
    )
    pools = {  # picks are re-checked on the locked rows
        type_id: [pk for pk in pool if is_movable(locked_licenses[pk])]
        for type_id, pool in pools.items()
    }

    batch = uuid.uuid4()
    taken: set[int] = set()
    bound: list[tuple[License, Device]] = []
    result_items: list[tuple[str, str]] = []
    for row, item in enumerate(items, start=1):
        device = locked_devices.get(devices[item.device].pk) if item.device in devices else None
        if device is None or (item.card and item.card not in cards):
            continue  # already reported
        if item.type is not None:
            if item.type not in types:
                continue
            license_type = types[item.type]
            if device.model_id not in type_models[license_type.pk]:
                if not customer_visible_to(actor, device.customer):
                    fail(row, NotFound(message=f"Device {device.number} not found."))
                else:
                    fail(row, _model_mismatch(license_type, device))
                continue
            pool = pools[license_type.pk]
            pick = next((pk for pk in pool if pk not in taken), None)
            if pick is None:
                fail(
                    row,
                    DaypassError(
                        ErrorCode.INSUFFICIENT_QUANTITY,
                        f"No eligible {license_type.code} license of {own.number} is left "
                        f"for device {device.number}.",
                    ),
                )
                continue
            license = locked_licenses[pick]
        else:
            license = locked_licenses[cards[item.card].pk]
            if license.pk in taken:
                fail(
                    row,
                    ValidationFailed(
                        message=f"License {license.card} is named twice in this batch.",
                        field="items",
                    ),
                )
                continue
        try:
            check_bind(actor=actor, license=license, device=device, type_models=type_models)
        except DaypassError as error:
            fail(row, error)
            continue
        taken.add(license.pk)
        bound.append((license, device))
        result_items.append((device.number, license.card))

    if errors:
        errors.sort(key=lambda error: error.row)
        return BindBatchResult(batch=batch, items=result_items, errors=errors)
    apply_binds(actor=actor, bound=bound, batch=batch, now=now)
    return BindBatchResult(batch=batch, items=result_items)


def type_model_ids(type_ids: set[int]) -> dict[int, set[int]]:
    through = LicenseType.device_models.through
    models: dict[int, set[int]] = {type_id: set() for type_id in type_ids}
    for type_id, model_id in through.objects.filter(licensetype_id__in=type_ids).values_list(
        "licensetype_id", "devicemodel_id"
    ):
        models[type_id].add(model_id)
    return models


def _model_mismatch(license_type: LicenseType, device: Device) -> DaypassError:
    return DaypassError(
        ErrorCode.MODEL_MISMATCH,
        f"License type {license_type.code} does not fit device model {device.model.code}.",
    )


def check_bind(
    *, actor: Account, license: License, device: Device, type_models: dict[int, set[int]]
) -> None:
    """The preconditions of a bind on locked rows, in the order of the license services."""
    require_license_operation(actor, license, "bind")
    if not customer_visible_to(actor, device.customer):
        raise NotFound(message=f"Device {device.number} not found.")
    require_movable(license, bound_message="is already bound")
    if not in_subtree_of(device.customer, license.customer):
        raise DaypassError(
            ErrorCode.DEVICE_NOT_IN_SUBTREE,
            f"Device {device.number} belongs neither to {license.customer.number} "
            "nor to one of its sub-customers.",
        )
    if device.model_id not in type_models[license.type_id]:
        raise _model_mismatch(license.type, device)


def apply_binds(
    *, actor: Account, bound: list[tuple[License, Device]], batch: uuid.UUID, now: datetime
) -> None:
    """Write the checked binds: transfers to the devices' owners (method `bind`, one batch id),
    the bindings, one `license.bind` audit event each, and the blacklists they lift."""
    moving: dict[int, list[tuple[int, str, int]]] = {}
    for license, device in bound:
        if device.customer_id != license.customer_id:
            moving.setdefault(device.customer_id, []).append(
                (license.pk, license.card, license.customer_id)
            )
    owners = {d.customer_id: d.customer for _lic, d in bound}
    for customer_id, licenses in moving.items():
        bulk.move_licenses(
            licenses=licenses,
            to=owners[customer_id],
            method=TransferMethod.BIND,
            batch=batch,
            actor=actor,
            now=now,
        )
    bulk.bind_licenses(pairs=[(lic.pk, dev.pk) for lic, dev in bound], now=now)
    audit_record_many(
        actor=actor,
        action="license.bind",
        now=now,
        targets=[
            (
                lic.card,
                {
                    "device": dev.number,
                    "owner": lic.customer.number,
                    "transferred_to": dev.customer.number
                    if dev.customer_id != lic.customer_id
                    else None,
                    "batch": str(batch) if dev.customer_id != lic.customer_id else None,
                },
            )
            for lic, dev in bound
        ],
    )
    lifting = {
        dev.pk: dev
        for lic, dev in bound
        if dev.blacklisted and lic.available_days >= lic.type.charge_days
    }
    devices_lift_blacklists(
        actor=actor, devices=list(lifting.values()), now=now, reason="license_bind"
    )
