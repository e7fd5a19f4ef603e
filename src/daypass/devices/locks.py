"""Row locks on devices, taken before any license lock (the fixed order: devices, then
licenses, each by primary key). Imported by the device and the license services alike."""

from __future__ import annotations

from collections.abc import Iterable

from daypass.core.errors import NotFound
from daypass.devices.models import Device


def lock_device(pk: int) -> Device:
    """Lock one device and return it fresh.

    The locking query joins nothing (see `licenses.rows.lock_licenses_in_order`).
    """
    if not Device.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True):
        raise NotFound(message="Device not found.")
    return Device.objects.select_related("customer", "model").get(pk=pk)


def lock_devices_in_order(pks: Iterable[int]) -> list[Device]:
    """Lock the devices by primary key order (no joins), then read them fresh, in that order."""
    ordered = sorted(set(pks))
    list(Device.objects.select_for_update().filter(pk__in=ordered).order_by("pk").values_list("pk"))
    return list(
        Device.objects.select_related("customer", "model").filter(pk__in=ordered).order_by("pk")
    )
