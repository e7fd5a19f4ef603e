"""Sales records grouped by batch (SPEC 13): one row per operation, with its count.

Built on `transfer_list`, so the scoping, the filters (and the subtree and counterpart options
where the caller passes them) are exactly those of the plain list. A batch's transfers share the
method; the sender and the receiver are shown when the whole batch has one of each.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Max, Min, QuerySet

from daypass.customers.models import Customer
from daypass.licenses.models import Transfer

BATCH_PREVIEW_CARDS = 20


def transfer_batches(transfers: QuerySet[Transfer]) -> QuerySet:
    """`transfers` (a scoped, filtered `transfer_list`) as one row per batch, newest first:
    `batch`, `at` (its last transfer), `count`, `method`, `from_id`/`to_id` (None when the
    batch has several), `types` (how many license codes)."""
    return (
        transfers.order_by()
        .values("batch")
        .annotate(
            at=Max("at"),
            count=Count("id"),
            method=Min("method"),
            first_from=Min("from_customer"),
            last_from=Max("from_customer"),
            first_to=Min("to_customer"),
            last_to=Max("to_customer"),
            first_type=Min("type__code"),
            last_type=Max("type__code"),
        )
        .order_by("-at", "batch")
    )


def batch_rows(rows: Iterable[dict], transfers: QuerySet[Transfer]) -> list[dict]:
    """Fill in a page of `transfer_batches`: the customers by number and name, and the first
    cards of each batch (one query each)."""
    rows = list(rows)
    ids = {row[key] for row in rows for key in ("first_from", "first_to") if row[key]}
    customers = Customer.objects.in_bulk(ids)
    # The first cards of each batch: one small indexed query per batch of the page (a batch
    # may hold a hundred thousand licenses; only these are shown).
    cards = {
        row["batch"]: list(
            transfers.filter(batch=row["batch"])
            .order_by("license__card")
            .values_list("license__card", flat=True)[:BATCH_PREVIEW_CARDS]
        )
        for row in rows
    }
    for row in rows:
        same_from = row["first_from"] == row["last_from"]
        same_to = row["first_to"] == row["last_to"]
        row["from_customer"] = customers.get(row["first_from"]) if same_from else None
        row["several_from"] = not same_from
        row["to_customer"] = customers.get(row["first_to"]) if same_to else None
        row["several_to"] = not same_to
        row["type"] = row["first_type"] if row["first_type"] == row["last_type"] else None
        row["cards"] = cards[row["batch"]]
    return rows
