"""Sales records grouped by batch (SPEC 13): one row per operation, with its count.

Built on `transfer_list`, so the scoping, the filters (and the subtree and counterpart options
where the caller passes them) are exactly those of the plain list. A batch's transfers share the
method; the sender and the receiver are shown when the whole batch has one of each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, Max, Min, QuerySet, Window
from django.db.models.functions import RowNumber

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
    cards of each batch (one query for the page)."""
    rows = list(rows)
    ids = {row[key] for row in rows for key in ("first_from", "first_to") if row[key]}
    customers = Customer.objects.in_bulk(ids)
    cards = first_cards(transfers, [row["batch"] for row in rows])
    for row in rows:
        same_from = row["first_from"] == row["last_from"]
        same_to = row["first_to"] == row["last_to"]
        row["from_customer"] = customers.get(row["first_from"]) if same_from else None
        row["several_from"] = not same_from
        row["to_customer"] = customers.get(row["first_to"]) if same_to else None
        row["several_to"] = not same_to
        row["type"] = row["first_type"] if row["first_type"] == row["last_type"] else None
        row["cards"] = cards.get(row["batch"], [])
    return rows


def first_cards(transfers: QuerySet[Transfer], batches: list) -> dict[Any, list[str]]:
    """The first `BATCH_PREVIEW_CARDS` cards (in card order) of each of `batches`, among
    `transfers`: one query numbering each batch's cards (a window), not one query per batch
    (fifty queries, each planning the subtree's scope again: 4 s for the platform's page,
    bench/pages.py). A batch may hold a hundred thousand licenses; only these are read out."""
    if not batches:
        return {}
    ranked = (
        transfers.filter(batch__in=batches)
        .order_by()
        .annotate(
            place=Window(RowNumber(), partition_by=[F("batch")], order_by=F("license__card").asc())
        )
        .filter(place__lte=BATCH_PREVIEW_CARDS)
        .values_list("batch", "license__card")
    )
    cards: dict[Any, list[str]] = {}
    for batch, card in sorted(ranked, key=lambda pair: pair[1]):
        cards.setdefault(batch, []).append(card)
    return cards
