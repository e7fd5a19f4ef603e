"""Event data in the exact shapes of the API (SPEC 9): `license`, `device`, `customer`.

Each snapshot is built by the same function the API answers with (`license_out`, `device_out`,
`customer_out`), and the events table encodes it as the API does (DjangoJSONEncoder), so an event
and a GET of the same object at the same moment agree key for key (tests/events/test_snapshots.py
holds them to it); a new field in an API shape appears in events too.

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

# What `license_out` reads: the sweep loads nothing more.
LICENSE_FIELDS = (
    *("card", "type_id", "total_days", "available_days", "locked", "activated_at", "bound_at"),
    *("device__number", "customer__number", "customer__parent_id"),
)

# The API modules import the services, which import this module: import them when first used.


def license_snapshot(license: License) -> dict[str, Any]:
    from daypass.licenses.api import license_out

    return license_out(license)


def device_snapshot(device: Device) -> dict[str, Any]:
    """`device.licenses` is read afresh, so a snapshot taken right after a change is current."""
    from daypass.devices.api import device_out

    return device_out(_devices_query().get(pk=device.pk))


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    from daypass.customers.api import customer_out

    return customer_out(customer)


def license_snapshots(license_ids: Iterable[int]) -> dict[int, tuple[int, dict[str, Any]]]:
    """license pk -> (owner pk, snapshot), in three queries whatever the number."""
    from daypass.licenses.models import License, LicenseType

    licenses = list(
        License.objects.filter(pk__in=list(license_ids))
        .select_related("customer", "device")
        .only(*LICENSE_FIELDS)
        .order_by()
    )
    # One instance per type, so its model codes are read and sorted once (licenses.api).
    types = LicenseType.objects.filter(pk__in={lic.type_id for lic in licenses})
    type_by_pk = {t.pk: t for t in types.prefetch_related("device_models")}
    for lic in licenses:
        lic.type = type_by_pk[lic.type_id]
    return {lic.pk: (lic.customer_id, license_snapshot(lic)) for lic in licenses}


def device_snapshots(device_ids: Iterable[int]) -> dict[int, tuple[int, dict[str, Any]]]:
    """device pk -> (owner pk, snapshot), in two queries whatever the number."""
    from daypass.devices.api import device_out

    devices = _devices_query().filter(pk__in=list(device_ids))
    return {d.pk: (d.customer_id, device_out(d)) for d in devices}


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
