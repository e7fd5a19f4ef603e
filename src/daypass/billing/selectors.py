"""Reads on deduction records (acting account first, 404 outside the actor's subtree)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from daypass.billing.deduction_days import day_bounds, day_counts, page_window, window_rows
from daypass.billing.filters import DeductionFilterSet
from daypass.billing.models import Deduction
from daypass.core.filters import apply_filters
from daypass.core.prepared import queryset_count, queryset_fetch
from daypass.core.tenancy import customer_in_scope, owned_within, visible_q
from daypass.customers.models import Account, Customer
from daypass.licenses.selectors import license_get


def deduction_list(
    actor: Account,
    customer: Customer | str | None,
    filters: Mapping[str, Any] | None = None,
    card: str | None = None,
    *,
    subtree: bool = False,
) -> QuerySet[Deduction]:
    """Deductions charged to the selected customer (the license owner at the time), newest first.

    With `card`: that license's deductions (404 if the actor cannot see the license). Then,
    if `customer` is None, every deduction of the license charged to the actor's customer or
    one of its sub-customers, so a superior's earlier history stays hidden from the license's
    later owners. With `subtree`, the deductions charged to any customer of the selected
    customer's subtree.
    """
    return _scoped(actor, customer, filters, card, subtree=subtree)[0]


def _scoped(
    actor: Account,
    customer: Customer | str | None,
    filters: Mapping[str, Any] | None,
    card: str | None,
    *,
    subtree: bool,
) -> tuple[QuerySet[Deduction], Q | None]:
    """The filtered list, and its customers' condition when that alone scopes it (no card)."""
    base = Deduction.objects.select_related("device", "license", "customer").order_by("-at", "-id")
    scope = None
    if card is not None:
        license = license_get(actor, card)
        base = base.filter(license=license)
        if customer is None:
            base = base.filter(visible_q(actor))
        else:
            base = base.filter(owned_within(customer_in_scope(actor, customer), subtree=subtree))
    else:
        scope = owned_within(customer_in_scope(actor, customer), subtree=subtree)
        base = base.filter(scope)
    return apply_filters(DeductionFilterSet, filters, base), scope


@dataclass
class DeductionRecords:
    """A deduction list to page through: `count()` and `records[start:stop]`.

    When the list is a customer's (or a subtree's) filtered at most by `result` and whole UTC
    days (`date_from`/`date_to` as dates, or midnight instants with an exclusive upper bound),
    both come from its rows per day (billing/deduction_days.py: the roll-up plus the rows
    since the checkpoint): the count is their sum, and a page reads only the days that hold
    it, however deep. Otherwise (a card, a `device` or `card` filter, a bound inside a day)
    the count is an exact COUNT(*) of the list (one license's or device's rows: their own
    index) and a page is an OFFSET, both prepared on PostgreSQL (core/prepared.py). Either way
    a page reads the ids first and joins the devices, licenses and customers of the page's rows
    only.
    """

    rows: QuerySet[Deduction]
    scope: Q | None = None
    result: str | None = None
    first: date | None = None
    end: date | None = None
    _per_day: dict[date, int] | None = field(default=None, init=False, repr=False)

    def per_day(self) -> dict[date, int] | None:
        if self.scope is None:
            return None
        if self._per_day is None:
            self._per_day = day_counts(
                self.scope, result=self.result, first=self.first, end=self.end
            )
        return self._per_day

    def count(self) -> int:
        per_day = self.per_day()
        return queryset_count(self.rows) if per_day is None else sum(per_day.values())

    def __getitem__(self, chunk: slice) -> list[Deduction]:
        start = chunk.start or 0
        stop = self.count() if chunk.stop is None else chunk.stop
        per_day = self.per_day()
        if per_day is None:
            page = self.rows.all()[start:stop]
        else:
            window = page_window(per_day, start, stop)
            if window is None:
                return []
            page = window_rows(self.rows, window, stop - start)
        # Prepared on PostgreSQL (core/prepared.py), like the exact count: one device's or
        # license's list has no bound on `at`, and planning it over every monthly partition
        # cost more than reading it (a roll-up page, bounded by its days, is one statement too).
        keys = queryset_fetch(page.values_list("pk", "at"))
        if not keys:
            return []
        # The page's instants bound the second read: on PostgreSQL the deductions are
        # partitioned by `at` (billing/partitions.py), and ids alone would probe every month.
        instants = [at for _, at in keys]
        return list(
            self.rows.filter(
                pk__in=[pk for pk, _ in keys], at__gte=min(instants), at__lte=max(instants)
            )
        )


def deduction_records(
    actor: Account,
    customer: Customer | str | None,
    filters: Mapping[str, Any] | None = None,
    card: str | None = None,
    *,
    subtree: bool = False,
) -> DeductionRecords:
    """`deduction_list` to page through cheaply (see `DeductionRecords`)."""
    rows, scope = _scoped(actor, customer, filters, card, subtree=subtree)
    if scope is None:
        return DeductionRecords(rows)
    cleaned = DeductionFilterSet(data=filters or {}).form
    cleaned.is_valid()  # _scoped has refused invalid filters already
    values = cleaned.cleaned_data
    days = day_bounds(values.get("date_from"), values.get("date_to"))
    if values.get("card") or values.get("device") or days is None:
        return DeductionRecords(rows)
    return DeductionRecords(
        rows, scope=scope, result=values.get("result") or None, first=days[0], end=days[1]
    )
