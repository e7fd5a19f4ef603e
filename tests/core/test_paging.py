"""Pages of a list (core.paging): the deferred join gives exactly the pages plain OFFSET gives.

First, middle, last and past-the-end pages, orders with ties in their sort key, through the
API's `page_of` and the console's `paginate`, the `count` override; on SQLite and PostgreSQL
(the suite runs on both).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from daypass.core import paging
from daypass.core.api import page_of
from daypass.licenses.models import License
from daypass.licenses.selectors import license_list
from daypass.web.views.page import paginate
from tests.factories import NOW, make_license, make_license_type

ROWS = 45
ORDERS = ["", "available_days", "-available_days", "total_days", "-activated_at"]


@pytest.fixture
def licenses(tree):
    """ROWS licenses of the dealer whose available days tie in threes."""
    license_type = make_license_type()
    for i in range(ROWS):
        make_license(
            customer=tree.dealer,
            type=license_type,
            card=f"P{(i * 7) % ROWS:05d}",  # created out of card order
            available_days=(i % 3) + 1,
        )
    return tree


@pytest.fixture(params=[0, paging.DEFERRED_FROM], ids=["deferred", "plain"])
def deferred_from(request, monkeypatch):
    monkeypatch.setattr(paging, "DEFERRED_FROM", request.param)
    return request.param


def cards(rows):
    return [row.card for row in rows]


@pytest.mark.parametrize("order", ORDERS)
def test_every_page_is_the_plain_offset_page(licenses, deferred_from, order):
    rows = license_list(licenses.dealer_admin, None, {"order": order} if order else {})
    everything = cards(rows)
    assert len(everything) == ROWS
    for size in (1, 5, 10):
        pages = []
        for start in range(0, ROWS + size, size):  # the last page, then one past the end
            page = cards(paging.page_rows(rows, start, size))
            assert page == cards(rows[start : start + size])
            pages.extend(page)
        assert pages == everything  # every row once, in the list's order


def test_the_deferred_join_reads_keys_then_rows(licenses, monkeypatch):
    monkeypatch.setattr(paging, "DEFERRED_FROM", 0)
    rows = license_list(licenses.dealer_admin, None, {"order": "available_days"})
    with CaptureQueriesContext(connection) as queries:
        page = paging.page_rows(rows, 10, 5)
    assert cards(page) == cards(rows[10:15])
    first = queries.captured_queries[0]["sql"]
    assert "CASE" not in first.upper().split("FROM")[0]  # keys only: no status, no joins
    assert all(row.status for row in page)  # the rows keep their annotations


def test_deep_page_past_the_threshold(tree):
    """With the real threshold: a page beyond DEFERRED_FROM equals plain OFFSET's."""
    license_type = make_license_type()
    License.objects.bulk_create(
        License(
            card=f"D{i:06d}",
            type=license_type,
            customer=tree.dealer,
            issued_days=365,
            total_days=365,
            available_days=i % 5,
            created_at=NOW,
        )
        for i in range(paging.DEFERRED_FROM + 120)
    )
    rows = license_list(tree.dealer_admin, None, {"order": "-available_days"})
    start = paging.DEFERRED_FROM + 50
    with CaptureQueriesContext(connection) as queries:
        page = paging.page_rows(rows, start, 50)
    assert len(queries) >= 2  # keys, then rows
    assert cards(page) == cards(rows[start : start + 50])
    assert len(page) == 50
    assert cards(paging.page_rows(rows, paging.DEFERRED_FROM + 100, 50)) == cards(
        rows[paging.DEFERRED_FROM + 100 :]
    )


def test_grouped_rows_are_cut_plainly(licenses, monkeypatch):
    monkeypatch.setattr(paging, "DEFERRED_FROM", 0)
    groups = License.objects.values("available_days").order_by("available_days")
    assert paging.page_rows(groups, 1, 1) == list(groups[1:2])
    plain = [1, 2, 3, 4, 5]
    assert paging.page_rows(plain, 3, 5) == [4, 5]


@pytest.mark.parametrize("page", [1, 2, 3, 5, 6, 9])
def test_page_of_pages(licenses, deferred_from, page):
    rows = license_list(licenses.dealer_admin, None, {"order": "available_days"})
    answer = page_of(rows, SimpleNamespace(page=page, page_size=10), lambda lic: lic.card)
    assert answer["count"] == ROWS
    assert answer["items"] == cards(rows[(page - 1) * 10 : page * 10])


def test_page_of_count_override(licenses):
    rows = license_list(licenses.dealer_admin, None)
    calls = []

    def count():
        calls.append(1)
        return 12

    answer = page_of(rows, SimpleNamespace(page=2, page_size=10), str, count=count)
    assert answer["count"] == 12 and len(answer["items"]) == 10 and calls == [1]
    past = page_of(rows, SimpleNamespace(page=3, page_size=10), str, count=12)
    assert past == {"items": [], "count": 12}


@pytest.mark.parametrize(
    ("asked", "shown"), [("1", 1), ("2", 2), ("3", 3), ("99", 3), ("x", 1), ("-1", 3)]
)
def test_paginate_pages(licenses, deferred_from, asked, shown):
    rows = license_list(licenses.dealer_admin, None, {"order": "-available_days"})
    request = RequestFactory().get("/", {"page": asked, "page_size": "20"})
    page = paginate(request, rows)
    assert page.number == shown
    assert page.paginator.count == ROWS and page.paginator.num_pages == 3
    assert cards(page.object_list) == cards(rows[(shown - 1) * 20 : shown * 20])


def test_paginate_count_override(licenses):
    rows = license_list(licenses.dealer_admin, None)
    request = RequestFactory().get("/", {"page": "2", "page_size": "20"})
    page = paginate(request, rows, count=lambda: 30)
    assert page.paginator.count == 30 and page.number == 2
    assert cards(page.object_list) == cards(rows[20:30])
