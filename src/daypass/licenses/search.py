"""The header search (SPEC 13): customers, cards and devices of the actor's subtree.

`q` is matched as a customer number (whole or prefix, any case) or a part of a customer's name,
as a card number (whole or prefix) and as a device number (whole, prefix, or its last digits).
An explicit pattern (`ABC*`, `*1234`, see `daypass.core.matching`) is matched as written.
At most `SEARCH_LIMIT` of each, every query a LIMIT on an index (bench/api_lists.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Concat

from daypass.core.errors import NotFound, ValidationFailed
from daypass.core.matching import WILDCARD, NumberPattern, number_pattern
from daypass.core.tenancy import owned_within, subtree_customers
from daypass.customers.models import Account, Customer
from daypass.devices.models import Device
from daypass.devices.selectors import devices_with_licenses
from daypass.licenses.models import License
from daypass.licenses.selectors import licenses_with_status

SEARCH_LIMIT = 10
SEARCH_MAX_LENGTH = 64


@dataclass(frozen=True)
class SearchResult:
    customers: list[Customer]
    licenses: list[License]
    devices: list[Device]


def _clean_query(q: str) -> str:
    text = (q or "").strip()
    if not text or len(text) > SEARCH_MAX_LENGTH:
        raise ValidationFailed(
            message=f"q: give 1 to {SEARCH_MAX_LENGTH} characters to search for.", field="q"
        )
    if "\x00" in text:
        raise ValidationFailed(message="q: text may not contain NUL bytes.", field="q")
    return text


def search(actor: Account, q: str) -> SearchResult:
    """Up to ten customers, licenses and devices of the actor's subtree matching `q`."""
    text = _clean_query(q)
    own = actor.customer
    if own is None:
        raise NotFound(message="No such customer.")
    if WILDCARD in text:
        pattern = number_pattern(text, field="q")
        return SearchResult(
            customers=_customers(own, pattern, name=None),
            licenses=_first(licenses_with_status(), own, [pattern.q("card")], "card"),
            devices=_first(devices_with_licenses(), own, [pattern.q("number")], "number"),
        )
    prefix = NumberPattern("prefix", text)
    suffix = NumberPattern("suffix", text)
    return SearchResult(
        customers=_customers(own, prefix, name=text),
        licenses=_first(licenses_with_status(), own, [prefix.q("card")], "card"),
        devices=_first(
            devices_with_licenses(), own, [prefix.q("number"), suffix.q("number")], "number"
        ),
    )


def _customers(own: Customer, pattern: NumberPattern, *, name: str | None) -> list[Customer]:
    # Customer numbers are upper case (C000123): a number is matched in any case.
    number = NumberPattern(pattern.kind, pattern.text.upper()).q("number")
    match = number | Q(name__icontains=name) if name else number
    subtree = subtree_customers(own).select_related("parent")
    return list(subtree.filter(match).order_by("number")[:SEARCH_LIMIT])


def _first(queryset, own: Customer, alternatives: list[Q], order: str) -> list:
    """The first matches of each alternative in turn (prefix before suffix), without repeats.

    When the actor's subtree holds few such rows (at most `SMALL_SUBTREE_ROWS`), its rows are
    matched and sorted (`_unindexed`): walking the number index in order instead, as PostgreSQL
    otherwise plans `ORDER BY number LIMIT 10`, reads every number of the prefix outside the
    subtree too (a distributor searching a prefix of a million foreign cards: 0.9 s).
    """
    found: dict[int, object] = {}
    scope = owned_within(own, subtree=True)
    scoped = queryset.filter(scope)
    rows_of_subtree = queryset.model.objects.filter(scope).order_by().values_list("pk", flat=True)
    if not rows_of_subtree[SMALL_SUBTREE_ROWS : SMALL_SUBTREE_ROWS + 1]:
        scoped = scoped.order_by(_unindexed(order))
    else:
        scoped = scoped.order_by(order)
    for match in alternatives:
        if len(found) >= SEARCH_LIMIT:
            break
        for row in scoped.filter(match)[:SEARCH_LIMIT]:
            found.setdefault(row.pk, row)
    return list(found.values())[:SEARCH_LIMIT]


# A subtree with at most this many cards (devices) is searched by its own rows.
SMALL_SUBTREE_ROWS = 5_000


def _unindexed(field: str) -> Concat:
    """`field`'s value as an expression no index provides in order (same text, same order), so
    the database picks the subtree's rows first and sorts the few that match."""
    return Concat(F(field), Value(""), output_field=CharField())
