"""Pages of a list, for the API (`core.api.page_of`) and the console (`web.views.page.paginate`):
the one home of how a page's rows and the list's total are read.

A page is the list's ordering cut by `OFFSET start LIMIT size`. Far from the start, a plain
`OFFSET` builds and throws away `start` whole rows first: every join of the list
(`select_related`) and every computed column (the license status) for each skipped row, so page
5,000 of a million licenses took 0.5 to 1.7 s (bench/pages.py). From `DEFERRED_FROM` rows on, a
page is read in two steps instead (a "deferred join"):

1. the keys of the page: the same query (same filters, same ordering) selecting only the
   ordering's last column when it is unique (the card, the device number), else the primary
   key, cut by the same `OFFSET`/`LIMIT`, so the database walks the ordering's index (only the
   index, when it holds the key) and builds nothing else;
2. the rows of those keys (the same query again, narrowed to them: tenancy and filters still
   apply), put back in the order of step 1.

The page is the one plain `OFFSET` would give, in the same order (every list's ordering ends
with a unique column, so it is total). A row deleted between the two steps is missing from the
page, as it would be from the next request's. Querysets that are not rows of a model (`values()`
groups such as sales records by batch) or that cannot be narrowed (sliced, combined, DISTINCT,
grouped) are cut plainly.

`count` lets a list give its total itself when an exact `COUNT(*)` is too expensive: an int, or
a callable returning one (called at most once, only when the total is needed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import QuerySet, UniqueConstraint
from django.db.models.query import ModelIterable
from django.utils.functional import cached_property

Count = int | Callable[[], int] | None

# Below this offset a plain OFFSET costs less than a second round trip.
DEFERRED_FROM = 1_000


def total_of(rows: Any, count: Count = None) -> int:
    """The number of rows of the list: `count` if given (called if callable), else counted."""
    if count is not None:
        return count() if callable(count) else count
    if isinstance(rows, (list, tuple)):
        return len(rows)
    return rows.count()  # a QuerySet, or a list that counts itself (billing DeductionRecords)


def page_rows(rows: Any, start: int, size: int) -> list[Any]:
    """Rows `start` to `start + size` of the list, in its order (see the module docstring)."""
    if start < DEFERRED_FROM or not _deferrable(rows):
        return list(rows[start : start + size])
    key = _key_of(rows)
    keys = list(rows.values_list(key, flat=True)[start : start + size])
    found = {getattr(row, key): row for row in rows.filter(**{f"{key}__in": keys}).order_by()}
    return [found[value] for value in keys if value in found]


def _key_of(rows: QuerySet) -> str:
    """What step 1 reads: the ordering's last column when it is unique (a card, a device
    number: the index the page is ordered by holds it, so PostgreSQL reads no table row for
    the skipped ones), else the primary key."""
    ordering = rows.query.order_by or rows.model._meta.ordering
    last = ordering[-1] if ordering else None
    if not isinstance(last, str):
        return "pk"
    name = last.lstrip("-")
    meta = rows.model._meta
    if name in ("pk", meta.pk.name) or "__" in name:
        return "pk"
    try:
        field = meta.get_field(name)
    except FieldDoesNotExist:  # an annotation
        return "pk"
    unique = field.unique or any(
        isinstance(c, UniqueConstraint) and tuple(c.fields) == (name,) and c.condition is None
        for c in meta.constraints
    )
    return name if unique and not field.null else "pk"


def _deferrable(rows: Any) -> bool:
    if not isinstance(rows, QuerySet) or rows._iterable_class is not ModelIterable:
        return False
    query = rows.query
    return not (query.is_sliced or query.combinator or query.distinct or query.group_by)


class ListPaginator(Paginator):
    """Django's paginator reading its pages with `page_rows` and its total with `total_of`."""

    def __init__(self, object_list: Any, per_page: int, *, count: Count = None) -> None:
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return total_of(self.object_list, self._count)

    def page(self, number: Any):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        return self._get_page(page_rows(self.object_list, bottom, top - bottom), number, self)
