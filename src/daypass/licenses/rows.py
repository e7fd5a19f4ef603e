"""Row-level building blocks of the license services: locks in the fixed order (ownership
changes with their sales records are set-based, in `licenses.bulk`). Callers hold a
transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from daypass.core.errors import DaypassError, ErrorCode, NotFound
from daypass.devices.locks import lock_device
from daypass.devices.models import Device
from daypass.licenses.models import License

BULK_CHUNK = 2_000


@dataclass(frozen=True)
class TransferResult:
    """What one transfer operation moved, under one batch id: the licenses (sell, return) or
    the devices (device transfer, whose bound licenses moved with them)."""

    batch: uuid.UUID
    # In card order; a LicenseSequence (licenses.bulk): `.cards` without loading the licenses.
    licenses: Sequence[License] = ()
    devices: list[Device] = field(default_factory=list)

    @property
    def cards(self) -> list[str]:
        return getattr(self.licenses, "cards", None) or [lic.card for lic in self.licenses]


class _DeviceChanged(Exception):
    """The license's device changed between reading and locking; roll back and retry."""


def _chunks(items: Sequence, size: int = BULK_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lock_licenses_in_order(pks: Iterable[int]) -> list[License]:
    """Lock the licenses by primary key order and return them fresh, in that order.

    The locking query joins nothing: on PostgreSQL a row updated while we waited is re-checked
    against the joined rows as they were before, so a join would silently drop a license
    whose owner just changed. The related rows are read afterwards, with the locks held.
    """
    ordered = sorted(set(pks))
    locked: list[License] = []
    for chunk in _chunks(ordered):
        locked_pks = list(
            License.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        locked.extend(
            License.objects.select_related("customer", "type")
            .filter(pk__in=locked_pks)
            .order_by("pk")
        )
    return locked


def lock_license(license: License) -> License:
    locked = lock_licenses_in_order([license.pk])
    if not locked:
        raise NotFound(message=f"License {license.card} not found.")
    return locked[0]


def lock_license_with_its_device(license: License) -> tuple[License, Device | None]:
    """Lock the license and its bound device, device first (the fixed lock order).

    The device is read before the license is locked, so it may change in between. Then the
    savepoint is rolled back, which releases both row locks, and we try again with the new
    device, so the order is never broken.
    """
    device_id = License.objects.filter(pk=license.pk).values_list("device_id", flat=True).first()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                device = lock_device(device_id) if device_id is not None else None
                fresh = lock_license(license)
                if fresh.device_id != device_id:
                    raise _DeviceChanged(fresh.device_id)
                return fresh, device
        except _DeviceChanged as changed:
            device_id = changed.args[0]
    raise DaypassError(
        ErrorCode.CONFLICT, "The license changed while we were working on it; try again."
    )
