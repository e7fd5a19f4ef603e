"""Building blocks of the JSON API: the JSON codec, documented error answers, paging, filters.

`daypass.api` assembles the one NinjaAPI from these, the bearer-token authentication and
idempotent retries of `daypass.customers.auth`, and the per-app routers. Errors become answers
in `daypass.core.responses`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from django.http import HttpRequest
from django_filters import FilterSet
from ninja.parser import Parser
from ninja.renderers import BaseRenderer

from daypass.core.filters import filter_names
from daypass.core.paging import Count, page_rows, total_of
from daypass.core.responses import BodyNotAnObject, dumps
from daypass.core.schemas import ErrorOut, PageQuery

if TYPE_CHECKING:
    from django.db.models import QuerySet

# Documented on every authenticated operation, so the OpenAPI document says what may come back.
ERROR_RESPONSES: dict[int, type] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    405: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
    503: ErrorOut,
}


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    charset = "utf-8"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return dumps(data)


class OrjsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        # Text holding NUL never gets here: core.middleware.RejectNulMiddleware answers 422.
        data = orjson.loads(request.body)
        if not isinstance(data, dict):
            # Ninja would read an array as "no fields given" and accept it where every field is
            # optional (a PATCH): refuse it here, for every operation at once.
            raise BodyNotAnObject("The request body must be a JSON object.")
        return data


# --- paging ---------------------------------------------------------------------------------


def page_of(
    rows: QuerySet | list,
    paging: PageQuery,
    serialize: Callable[[Any], dict],
    count: Count = None,
) -> dict[str, Any]:
    """`{"items", "count"}` for one page (`page` from 1); past the end: no items.

    Rows are read by `core.paging.page_rows` (deep pages through a deferred join). `count`: the
    list's total (or a function giving it) when an exact COUNT(*) of `rows` would be too
    expensive, e.g. kept in a roll-up (billing/selectors.py `DeductionRecords`).
    """
    start = (paging.page - 1) * paging.page_size
    total = total_of(rows, count)
    chunk = page_rows(rows, start, paging.page_size) if start < total else []
    return {"items": [serialize(row) for row in chunk], "count": total}


def filters_of(query: Any, filterset_class: type[FilterSet]) -> dict[str, str]:
    """The query's values of the list's filters (the FilterSet's names), as the FilterSet reads
    them (strings; booleans true/false)."""
    filters = {}
    for name in filter_names(filterset_class):
        value = getattr(query, name)
        if value is None:
            continue
        filters[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return filters
