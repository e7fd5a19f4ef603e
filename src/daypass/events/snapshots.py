"""Event data in the exact shapes of the API (SPEC 9): `license`, `device`, `customer`.

Each snapshot is built by the same function the API answers with (`license_out`, `device_out`,
`customer_out`) and passed through the same output schema, so an event and a GET of the same
object at the same moment agree key for key; a new field in an API shape appears in events too.

The `*_snapshots(ids)` forms read many objects in a fixed number of queries (the sweep).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch

if TYPE_CHECKING:
    from daypass.customers.models import Customer
    from daypass.devices.models import Device
    from daypass.licenses.models import License

# The API modules import the services, which import this module: import them when first used.


def license_snapshot(license: License) -> dict[str, Any]:
    from daypass.licenses.api import license_out
    from daypass.licenses.schemas import LicenseOut

    return LicenseOut.model_validate(license_out(license)).model_dump(by_alias=True)


def device_snapshot(device: Device) -> dict[str, Any]:
    """`device.licenses` is read afresh, so a snapshot taken right after a change is current."""
    from daypass.devices.api import device_out
    from daypass.devices.schemas import DeviceOut

    fresh = _devices_query().get(pk=device.pk)
    return DeviceOut.model_validate(device_out(fresh)).model_dump(by_alias=True)


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    from daypass.customers.api import customer_out
    from daypass.customers.schemas import CustomerOut

    return CustomerOut.model_validate(customer_out(customer)).model_dump(by_alias=True)


def license_snapshots(license_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """license pk -> snapshot, in three queries whatever the number."""
    from daypass.licenses.models import License, LicenseType

    licenses = (
        License.objects.filter(pk__in=list(license_ids))
        .select_related("customer", "device")
        .prefetch_related(
            Prefetch("type", queryset=LicenseType.objects.prefetch_related("device_models"))
        )
        .order_by()
    )
    return {lic.pk: license_snapshot(lic) for lic in licenses}


def device_snapshots(device_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """device pk -> snapshot, in two queries whatever the number."""
    from daypass.devices.api import device_out
    from daypass.devices.schemas import DeviceOut

    devices = _devices_query().filter(pk__in=list(device_ids))
    return {
        d.pk: DeviceOut.model_validate(device_out(d)).model_dump(by_alias=True) for d in devices
    }


def _devices_query():
    from daypass.devices.models import Device
    from daypass.licenses.models import License

    return (
        Device.objects.select_related("model", "customer")
        .prefetch_related(
            Prefetch("licenses", queryset=License.objects.only("pk", "card", "device"))
        )
        .order_by()
    )
