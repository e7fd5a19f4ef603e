"""`subtree=true` on the lists and statistics, and the roll-up by child (SPEC 13)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from daypass.billing.models import Deduction
from tests.api.conftest import error_of
from tests.factories import NOW, make_customer, make_device, make_license, make_license_type


def make_deduction(*, license, device, customer, days=1, at=NOW, failed=False):
    return Deduction.objects.create(
        at=at,
        device=device,
        license=None if failed else license,
        customer=customer,
        days=0 if failed else days,
        available_days_after=None if failed else license.available_days,
        window_start=at,
        window_end=None if failed else at + timedelta(hours=24),
        trigger="sweep",
        result="failed" if failed else "success",
        reason="no_valid_license" if failed else "",
    )


@pytest.fixture
def spread(tree):
    """Licenses and devices at every level of the tree, and one in the sibling's."""
    kind = make_license_type(code="ADAS-365")
    model = kind.device_models.get()
    make_license(customer=tree.distributor, type=kind, card="DIST-1")
    make_license(customer=tree.dealer, type=kind, card="DEAL-1", available_days=20)
    make_license(customer=tree.dealer, type=kind, card="DEAL-2", available_days=0)
    fleet_device = make_device(customer=tree.fleet, model=model, number="FLEET-D1")
    make_license(
        customer=tree.fleet,
        type=kind,
        card="FLEET-1",
        available_days=5,
        device=fleet_device,
        bound_at=NOW,
        activated_at=NOW,
    )
    make_device(
        customer=tree.dealer,
        model=model,
        number="DEAL-D1",
        blacklisted=True,
        blacklisted_at=NOW,
        blacklist_reason="no_valid_license",
    )
    make_device(customer=tree.distributor, model=model, number="DIST-D1")
    make_license(customer=tree.sibling, type=kind, card="SIB-1")
    make_device(customer=tree.sibling, model=model, number="SIB-D1")
    return kind


def cards(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["card"] for item in response.json()["items"]]


def test_licenses_with_subtree_cover_the_selected_customer_and_every_sub_customer(
    api_as, tree, spread
):
    client = api_as(tree.distributor_viewer)

    assert cards(client.get("/licenses")) == ["DIST-1"]
    assert cards(client.get("/licenses", {"subtree": "true"})) == [
        "DEAL-1",
        "DEAL-2",
        "DIST-1",
        "FLEET-1",
    ]
    assert cards(client.get("/licenses", {"customer": tree.dealer.number, "subtree": "true"})) == [
        "DEAL-1",
        "DEAL-2",
        "FLEET-1",
    ]
    assert cards(client.get("/licenses", {"subtree": "false"})) == ["DIST-1"]


def test_subtree_filters_apply_like_on_the_customer_alone(api_as, tree, spread):
    client = api_as(tree.distributor_viewer)

    response = client.get("/licenses", {"subtree": "true", "status": "expired"})

    assert cards(response) == ["DEAL-2"]


def test_subtree_of_a_customer_outside_the_subtree_is_not_found(api_as, tree, spread):
    client = api_as(tree.dealer_admin)

    for path in ("/licenses", "/devices", "/transfers", "/deductions", "/licenses/stats"):
        response = client.get(path, {"customer": tree.distributor.number, "subtree": "true"})
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("value", ["yes", "1", "True", "on", ""])
def test_subtree_takes_only_true_or_false(api_as, tree, value):
    response = api_as(tree.dealer_admin).get("/licenses", {"subtree": value})

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_devices_with_subtree(api_as, tree, spread):
    client = api_as(tree.distributor_admin)

    own = client.get("/devices").json()
    whole = client.get("/devices", {"subtree": "true"}).json()

    assert [d["number"] for d in own["items"]] == ["DIST-D1"]
    assert [d["number"] for d in whole["items"]] == ["DEAL-D1", "DIST-D1", "FLEET-D1"]
    assert whole["count"] == 3
    assert whole["items"][2]["licenses"] == ["FLEET-1"]


def test_transfers_with_subtree_include_the_sub_customers_sales(api_as, tree, spread):
    make_license(customer=tree.dealer, type=spread, card="SOLD-1")
    sold = api_as(tree.dealer_admin).post(
        "/licenses/sell", {"to": tree.fleet.number, "cards": ["SOLD-1"]}
    )
    assert sold.status_code == 200, sold.content
    client = api_as(tree.distributor_viewer)

    alone = client.get("/transfers").json()
    whole = client.get("/transfers", {"subtree": "true"}).json()

    assert alone["count"] == 0
    assert [(t["card"], t["from"], t["to"]) for t in whole["items"]] == [
        ("SOLD-1", tree.dealer.number, tree.fleet.number)
    ]


def test_deductions_with_subtree(api_as, tree, spread):
    fleet_license = spread.licenses.get(card="FLEET-1")
    device = fleet_license.device
    make_deduction(license=fleet_license, device=device, customer=tree.fleet)
    sibling_device = make_device(customer=tree.sibling, number="SIB-D2")
    make_deduction(license=None, device=sibling_device, customer=tree.sibling, failed=True)
    client = api_as(tree.dealer_viewer)

    assert client.get("/deductions").json()["count"] == 0
    whole = client.get("/deductions", {"subtree": "true"}).json()
    assert [(d["card"], d["customer"]) for d in whole["items"]] == [("FLEET-1", tree.fleet.number)]


def test_stats_without_subtree_have_no_roll_up(api_as, tree, spread):
    body = api_as(tree.distributor_admin).get("/licenses/stats").json()

    assert body["total"] == 1
    assert "by_customer" not in body


def test_stats_with_subtree_count_the_whole_subtree_and_roll_up_by_child(api_as, tree, spread):
    other_child = make_customer(parent=tree.distributor, name="Quiet dealer")

    body = api_as(tree.distributor_admin).get("/licenses/stats", {"subtree": "true"}).json()

    assert body["total"] == 4
    assert body["below_30_days"] == 2  # DEAL-1 (20 days), FLEET-1 (5 days)
    assert body["below_7_days"] == 1
    assert body["by_type"] == {"ADAS-365": 4}
    assert body["by_status"] == {
        "unused": 2,
        "inactive": 0,
        "in_use": 1,
        "deactivated": 0,
        "expired": 1,
    }
    zero = {"unused": 0, "inactive": 0, "in_use": 0, "deactivated": 0, "expired": 0}
    assert body["by_customer"] == [
        {
            "customer": tree.distributor.number,
            "name": "Distributor",
            "total": 1,
            "below_30_days": 0,
            "below_7_days": 0,
            "by_status": {**zero, "unused": 1},
            "devices": 1,
            "blacklisted_devices": 0,
        },
        {  # the dealer's row covers the fleet below it
            "customer": tree.dealer.number,
            "name": "Dealer",
            "total": 3,
            "below_30_days": 2,
            "below_7_days": 1,
            "by_status": {**zero, "unused": 1, "in_use": 1, "expired": 1},
            "devices": 2,
            "blacklisted_devices": 1,
        },
        {
            "customer": other_child.number,
            "name": "Quiet dealer",
            "total": 0,
            "below_30_days": 0,
            "below_7_days": 0,
            "by_status": zero,
            "devices": 0,
            "blacklisted_devices": 0,
        },
    ]


def test_stats_roll_up_of_a_leaf_is_its_own_row(api_as, tree, spread):
    body = api_as(tree.fleet_admin).get("/licenses/stats", {"subtree": "true"}).json()

    assert [row["customer"] for row in body["by_customer"]] == [tree.fleet.number]
    assert body["by_customer"][0]["total"] == body["total"] == 1


def test_summary_with_subtree(api_as, tree, spread):
    client = api_as(tree.distributor_admin)

    alone = client.get("/licenses/summary").json()["items"]
    whole = client.get("/licenses/summary", {"subtree": "true"}).json()["items"]

    assert [(row["type"], row["total"]) for row in alone] == [("ADAS-365", 1)]
    assert [(row["type"], row["total"], row["expired"]) for row in whole] == [("ADAS-365", 4, 1)]


def queries_for(client, path, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(captured)


def grow(tree, kind, start: int, count: int) -> None:
    for i in range(start, start + count):
        customer = [tree.dealer, tree.fleet][i % 2]
        device = make_device(customer=customer, number=f"GROW-D{i}")
        lic = make_license(customer=customer, type=kind, card=f"GROW-{i}")
        make_deduction(license=lic, device=device, customer=customer)


@pytest.mark.parametrize("path", ["/licenses", "/devices", "/transfers", "/deductions"])
def test_subtree_lists_do_not_grow_with_the_page(api_as, tree, spread, path):
    client = api_as(tree.distributor_admin)
    seller = api_as(tree.dealer_admin)
    make_license(customer=tree.dealer, type=spread, card="SOLD-1")
    assert (
        seller.post("/licenses/sell", {"to": tree.fleet.number, "cards": ["SOLD-1"]}).status_code
        == 200
    )
    grow(tree, spread, 0, 2)
    client.get(path)  # the token's last_used_at is written once
    few = queries_for(client, path, {"subtree": "true"})
    grow(tree, spread, 2, 10)
    for i in range(3):
        make_license(customer=tree.dealer, type=spread, card=f"SOLD-{i + 2}")
    sold = seller.post("/licenses/sell", {"to": tree.fleet.number, "cards": ["SOLD-2", "SOLD-3"]})
    assert sold.status_code == 200
    assert queries_for(client, path, {"subtree": "true"}) == few


def test_stats_roll_up_queries_do_not_grow_with_the_tree(api_as, tree, spread):
    client = api_as(tree.platform_admin)
    client.get("/licenses/stats")
    few = queries_for(client, "/licenses/stats", {"subtree": "true"})
    for _ in range(5):
        child = make_customer(parent=tree.platform)
        grandchild = make_customer(parent=child)
        make_license(customer=grandchild, type=spread)
        make_device(customer=child)

    body = client.get("/licenses/stats", {"subtree": "true"}).json()

    assert queries_for(client, "/licenses/stats", {"subtree": "true"}) == few
    assert len(body["by_customer"]) == 1 + 2 + 5
    assert sum(row["total"] for row in body["by_customer"]) == body["total"] == 10


def test_a_subtree_too_large_to_list_is_read_through_a_sub_query(api_as, tree, spread, monkeypatch):
    monkeypatch.setattr("daypass.core.tenancy.SUBTREE_IDS_INLINE_MAX", 1)
    client = api_as(tree.distributor_viewer)

    assert cards(client.get("/licenses", {"subtree": "true"})) == [
        "DEAL-1",
        "DEAL-2",
        "DIST-1",
        "FLEET-1",
    ]
    body = client.get("/licenses/stats", {"subtree": "true"}).json()
    assert [row["total"] for row in body["by_customer"]] == [1, 3]
