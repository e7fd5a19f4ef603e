"""Lists cost a fixed number of queries, however many rows a page holds (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from daypass.billing.models import Deduction
from tests.factories import NOW, make_device, make_license


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def grow(tree, start: int, count: int) -> None:
    for i in range(start, start + count):
        device = make_device(customer=tree.dealer, number=f"D{i:03d}")
        make_license(customer=tree.dealer, card=f"A{i:03d}", device=device, bound_at=NOW)
        make_license(customer=tree.dealer, card=f"B{i:03d}")


@pytest.mark.parametrize("path", ["/licenses", "/devices", "/customers"])
def test_list_queries_do_not_grow_with_the_page(api_as, tree, path):
    client = api_as(tree.dealer_admin)
    grow(tree, 0, 2)
    client.get(path)  # the token's last_used_at is written once
    few = queries_for(client, path)
    grow(tree, 2, 10)
    assert queries_for(client, path) == few


def test_transfer_list_does_not_grow_with_the_page(api_as, tree):
    client = api_as(tree.dealer_admin)
    for i in range(2):
        make_license(customer=tree.dealer, card=f"S{i}")
    client.post("/licenses/sell", {"to": tree.fleet.number, "cards": ["S0", "S1"]})
    few = queries_for(client, "/transfers")
    for i in range(2, 12):
        make_license(customer=tree.dealer, card=f"S{i}")
    client.post(
        "/licenses/sell", {"to": tree.fleet.number, "cards": [f"S{i}" for i in range(2, 12)]}
    )
    assert queries_for(client, "/transfers") == few


def failed_charges(tree, start: int, count: int) -> None:
    for i in range(start, start + count):
        device = make_device(customer=tree.dealer, number=f"F{i:03d}")
        Deduction.objects.create(
            at=NOW,
            device=device,
            customer=tree.dealer,
            window_start=NOW,
            trigger="report",
            result="failed",
            reason="no_valid_license",
        )


def test_deduction_list_does_not_grow_with_the_page(api_as, tree):
    # Its count and page come from the per-day roll-up (token, checkpoint, roll-up, rows since
    # the checkpoint, the page's ids, the page's rows): a fixed number however many rows.
    client = api_as(tree.dealer_admin)
    failed_charges(tree, 0, 2)
    client.get("/deductions")  # the token's last_used_at is written once
    few = queries_for(client, "/deductions")
    failed_charges(tree, 2, 10)
    assert queries_for(client, "/deductions") == few
