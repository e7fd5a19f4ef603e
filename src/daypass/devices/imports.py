"""Register many devices at once (SPEC 13: `POST /devices/import`, the console's CSV import).

Every row is checked before anything is written; any bad row refuses the whole import with one
`RowError` per bad row (row from 1), the codes `device_register` gives for one device. The
console previews with `devices_import_check`, which writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from daypass.core.audit import audit_record
from daypass.core.batch_errors import RowError, RowErrors
from daypass.core.errors import DaypassError, Forbidden, NotFound, ValidationFailed
from daypass.core.tenancy import customer_visible_to
from daypass.customers.models import Account, Customer
from daypass.devices.models import Device, DeviceModel

IMPORT_MAX_DEVICES = 10_000
DEVICE_NUMBER_MAX_LENGTH = 64
# Audit events name at most this many devices; the count is always recorded.
AUDIT_MAX_DEVICES = 200


@dataclass(frozen=True)
class DeviceImportRow:
    number: str
    model: str
    customer: str


@dataclass(frozen=True)
class _Checked:
    number: str
    model: DeviceModel
    customer: Customer


def _require_import(actor: Account, rows: Sequence[DeviceImportRow]) -> None:
    if not actor.is_platform_admin:
        raise Forbidden(message="Only the platform administrator may register devices.")
    if not rows:
        raise ValidationFailed(message="Name at least one device.", field="devices")
    if len(rows) > IMPORT_MAX_DEVICES:
        raise ValidationFailed(
            message=f"At most {IMPORT_MAX_DEVICES} devices can be imported at once.",
            field="devices",
        )


def _check_rows(
    actor: Account, rows: Sequence[DeviceImportRow]
) -> tuple[list[_Checked], list[RowError]]:
    numbers = [(row.number or "").strip() for row in rows]
    existing = set(
        Device.objects.filter(number__in=[n for n in numbers if n]).values_list("number", flat=True)
    )
    models = DeviceModel.objects.in_bulk({row.model for row in rows}, field_name="code")
    customers = Customer.objects.in_bulk({row.customer for row in rows}, field_name="number")
    first_row_of: dict[str, int] = {}
    checked: list[_Checked] = []
    errors: list[RowError] = []
    for index, (row, number) in enumerate(zip(rows, numbers, strict=True), start=1):
        try:
            if not number or len(number) > DEVICE_NUMBER_MAX_LENGTH or "\x00" in number:
                raise ValidationFailed(
                    message=f"number must be 1 to {DEVICE_NUMBER_MAX_LENGTH} characters.",
                    field="number",
                )
            customer = customers.get(row.customer)
            if customer is None or not customer_visible_to(actor, customer):
                raise NotFound(message=f"Customer {row.customer} not found.")
            model = models.get(row.model)
            if model is None:
                raise NotFound(message=f"Device model {row.model} not found.")
            if number in existing:
                raise ValidationFailed(message=f"Device {number} already exists.", field="number")
            if number in first_row_of:
                raise ValidationFailed(
                    message=f"Device {number} is already in row {first_row_of[number]}.",
                    field="number",
                )
        except DaypassError as error:
            errors.append(RowError.of(index, error))
            first_row_of.setdefault(number, index)
            continue
        first_row_of[number] = index
        checked.append(_Checked(number=number, model=model, customer=customer))
    return checked, errors


def devices_import_check(*, actor: Account, rows: Sequence[DeviceImportRow]) -> list[RowError]:
    """Every bad row of an import, without writing anything (the console's preview)."""
    _require_import(actor, rows)
    return _check_rows(actor, rows)[1]


@transaction.atomic
def devices_import(*, actor: Account, rows: Sequence[DeviceImportRow], now: datetime) -> int:
    """Register every row's device (platform admin), all or nothing; returns how many.

    Raises `RowErrors` (422, one entry per bad row) when any row is bad.
    """
    _require_import(actor, rows)
    checked, errors = _check_rows(actor, rows)
    if errors:
        raise RowErrors(errors)
    Device.objects.bulk_create(
        [
            Device(number=c.number, model=c.model, customer=c.customer, registered_at=now)
            for c in checked
        ],
        batch_size=1000,
    )
    audit_record(
        actor=actor,
        action="device.import",
        now=now,
        target=f"{len(checked)} devices",
        count=len(checked),
        devices=[c.number for c in checked[:AUDIT_MAX_DEVICES]],
        customers=sorted({c.customer.number for c in checked}),
    )
    return len(checked)
