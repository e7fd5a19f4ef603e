"""Event data in the exact shapes of the API (SPEC 9): `license`, `device`, `customer`.

Each snapshot is built by the same function the API answers with (`license_out`, `device_out`,
`customer_out`), and the events table encodes it as the API does (DjangoJSONEncoder), so an event
and a GET of the same object at the same moment agree key for key (tests/events/test_snapshots.py
holds them to it); a new field in an API shape appears in events too.

The `*_snapshots(ids)` forms read many objects in a fixed number of queries (the sweep).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch

from daypass.customers.shapes import customer_out
from daypass.devices.shapes import device_out
from daypass.licenses.shapes import license_out

if TYPE_CHECKING:
    from daypass.customers.models import Customer
    from daypass.devices.models import Device
    from daypass.licenses.models import License


def license_snapshot(license: License) -> dict[str, Any]:
    return license_out(license)


def device_snapshot(device: Device) -> dict[str, Any]:
    """`device.licenses` is read afresh, so a snapshot taken right after a change is current."""
    return device_out(_devices_query().get(pk=device.pk))


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    return customer_out(customer)


def license_snapshots(license_ids: Iterable[int]) -> dict[int, tuple[int, dict[str, Any]]]:
    """license pk -> (owner pk, snapshot), in three queries whatever the number.

    The sweep calls this for every license that crosses a threshold, so the rows are read as
    tuples and handed to `license_out` as light objects with the attributes it reads (building
    model instances cost more than everything else of an event).
    """
    from daypass.licenses.models import License, LicenseType

    rows = list(
        License.objects.filter(pk__in=list(license_ids)).order_by().values_list(*_LICENSE_COLUMNS)
    )
    # One instance per type, so its model codes are read and sorted once (licenses.shapes).
    types = LicenseType.objects.filter(pk__in={row[3] for row in rows})
    type_by_pk = {t.pk: t for t in types.prefetch_related("device_models")}
    snapshots = {}
    for row in rows:
        license = _light(_LICENSE_COLUMNS, row)
        license.type = type_by_pk[license.type_id]
        snapshots[license.pk] = (license.customer_id, license_snapshot(license))
    return snapshots


def _light(columns: tuple[str, ...], row: tuple) -> SimpleNamespace:
    """A `values_list` row as an object with the attributes the shapes read: `a__b` columns
    become `a.b` on a nested object (one level, as the shapes read them)."""
    own: dict[str, Any] = {}
    related: dict[str, dict[str, Any]] = defaultdict(dict)
    for name, value in zip(columns, row, strict=True):
        relation, _, attribute = name.partition("__")
        if attribute:
            related[relation][attribute] = value
        else:
            own[name] = value
    return SimpleNamespace(
        **own, **{relation: SimpleNamespace(**values) for relation, values in related.items()}
    )


# What `license_out` and `license_status` read of a license.
_LICENSE_COLUMNS = (
    *("pk", "customer_id", "card", "type_id", "total_days", "available_days", "locked"),
    *("activated_at", "device_id", "bound_at", "device__number", "customer__number"),
)


def device_snapshots(device_ids: Iterable[int]) -> dict[int, tuple[int, dict[str, Any]]]:
    """device pk -> (owner pk, snapshot), in two queries whatever the number.

    Rows as tuples, handed to `device_out` as light objects (as in `license_snapshots`): the
    sweep's auto-renew snapshots hundreds of devices per chunk.
    """
    from daypass.devices.models import Device
    from daypass.licenses.models import License

    device_ids = list(device_ids)
    cards: dict[int, list[str]] = defaultdict(list)
    bound = License.objects.filter(device_id__in=device_ids).order_by()
    for device_id, card in bound.values_list("device_id", "card"):
        cards[device_id].append(card)
    rows = Device.objects.filter(pk__in=device_ids).order_by().values_list(*_DEVICE_COLUMNS)
    snapshots = {}
    for row in rows:
        device = _light(_DEVICE_COLUMNS, row)
        snapshots[device.pk] = (device.customer_id, device_out(device, cards=cards[device.pk]))
    return snapshots


# What `device_out` reads of a device.
_DEVICE_COLUMNS = (
    *("pk", "customer_id", "number", "service_until", "blacklisted", "last_refused_at"),
    *("refused_reports", "model__code", "customer__number"),
)


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
