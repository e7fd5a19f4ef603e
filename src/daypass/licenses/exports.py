"""CSV exports of licenses and devices (SPEC 13): the list's rows, streamed in chunks.

Each export takes the same arguments as its list selector (filters and `subtree` included) and
returns `(header, rows)`: `rows` is a lazy iterator of plain values read with a server-side
cursor `EXPORT_CHUNK` rows at a time (PostgreSQL) so a million rows stream in flat memory.
Scoping and filter errors are raised when the export is asked for, before anything streams.
Escaping cells against formula injection is the writer's job (the web export views).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from daypass.customers.models import Account, Customer
from daypass.devices.selectors import device_list
from daypass.licenses.models import License
from daypass.licenses.selectors import license_list

EXPORT_CHUNK = 2000

LICENSE_EXPORT_COLUMNS = (
    ("card", "card"),
    ("type", "type__code"),
    ("status", "status"),
    ("total_days", "total_days"),
    ("available_days", "available_days"),
    ("locked", "locked"),
    ("activated_at", "activated_at"),
    ("device", "device__number"),
    ("bound_at", "bound_at"),
    ("customer", "customer__number"),
)
DEVICE_EXPORT_COLUMNS = (
    ("number", "number"),
    ("model", "model__code"),
    ("customer", "customer__number"),
    ("service_until", "service_until"),
    ("blacklisted", "blacklisted"),
    ("blacklisted_at", "blacklisted_at"),
    ("blacklist_reason", "blacklist_reason"),
    ("last_refused_at", "last_refused_at"),
    ("refused_reports", "refused_reports"),
)

Export = tuple[list[str], Iterator[list[Any]]]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def license_export(
    actor: Account,
    customer: Customer | str | None,
    filters: Mapping[str, Any] | None = None,
    *,
    subtree: bool = False,
) -> Export:
    """The rows of `license_list` (same arguments) as CSV values, in the list's order."""
    licenses = license_list(actor, customer, filters, subtree=subtree).prefetch_related(None)
    fields = [field for _name, field in LICENSE_EXPORT_COLUMNS]
    rows = licenses.values_list(*fields).iterator(chunk_size=EXPORT_CHUNK)
    header = [name for name, _field in LICENSE_EXPORT_COLUMNS]
    return header, ([_cell(value) for value in row] for row in rows)


def device_export(
    actor: Account,
    customer: Customer | str | None,
    filters: Mapping[str, Any] | None = None,
    *,
    subtree: bool = False,
) -> Export:
    """The rows of `device_list` (same arguments), with the bound cards space-separated."""
    devices = device_list(actor, customer, filters, subtree=subtree).prefetch_related(None)
    fields = ["pk", *(field for _name, field in DEVICE_EXPORT_COLUMNS)]
    rows = devices.values_list(*fields).iterator(chunk_size=EXPORT_CHUNK)
    header = [*(name for name, _field in DEVICE_EXPORT_COLUMNS), "licenses"]
    return header, _with_bound_cards(rows)


def _with_bound_cards(rows: Iterator[tuple]) -> Iterator[list[Any]]:
    """One query for the bound cards of each chunk of devices."""
    while chunk := list(islice(rows, EXPORT_CHUNK)):
        cards: dict[int, list[str]] = {}
        bound = (
            License.objects.filter(device_id__in=[row[0] for row in chunk])
            .order_by("card")
            .values_list("device_id", "card")
        )
        for device_id, card in bound:
            cards.setdefault(device_id, []).append(card)
        for pk, *values in chunk:
            yield [*(_cell(value) for value in values), " ".join(cards.get(pk, []))]
