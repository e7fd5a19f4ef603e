"""Licenses: list, detail, statistics, summary and every operation, with their error codes."""

from datetime import timedelta

import pytest

from daypass.devices.models import Device
from daypass.licenses.models import License, Transfer
from tests.api.conftest import error_of
from tests.factories import (
    NOW,
    make_device,
    make_device_model,
    make_license,
    make_license_type,
)

LICENSE_KEYS = {
    "card",
    "type",
    "models",
    "total_days",
    "available_days",
    "status",
    "locked",
    "activated_at",
    "device",
    "bound_at",
    "customer",
}


@pytest.fixture
def catalogue(db):
    model = make_device_model("MX-C6")
    other_model = make_device_model("MX-Z")
    license_type = make_license_type(code="ADAS-365", days=365, models=[model])
    return model, other_model, license_type


def test_license_list_shape_and_statuses(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    device = make_device(customer=tree.dealer, model=model, number="D1")
    make_license(customer=tree.dealer, type=license_type, card="A1")
    make_license(
        customer=tree.dealer,
        type=license_type,
        card="A2",
        device=device,
        bound_at=NOW,
        activated_at=NOW,
        available_days=300,
    )
    make_license(customer=tree.dealer, type=license_type, card="A3", available_days=0)
    make_license(customer=tree.fleet, type=license_type, card="F1")  # a sub-customer's own

    body = api_as(tree.dealer_viewer).get("/licenses").json()
    assert body["count"] == 3
    by_card = {item["card"]: item for item in body["items"]}
    assert set(by_card["A1"]) == LICENSE_KEYS
    assert by_card["A2"] == {
        "card": "A2",
        "type": "ADAS-365",
        "models": ["MX-C6"],
        "total_days": 365,
        "available_days": 300,
        "status": "in_use",
        "locked": False,
        "activated_at": "2026-11-01T12:00:00Z",
        "device": "D1",
        "bound_at": "2026-11-01T12:00:00Z",
        "customer": tree.dealer.number,
    }
    assert by_card["A1"]["status"] == "unused"
    assert by_card["A3"]["status"] == "expired"


def test_license_list_filters(api_as, tree, catalogue):
    _model, _other, license_type = catalogue
    make_license(customer=tree.dealer, type=license_type, card="A1", available_days=5)
    make_license(customer=tree.dealer, type=license_type, card="A2", available_days=20)
    make_license(customer=tree.dealer, card="A3", locked=True)
    client = api_as(tree.dealer_admin)

    def cards(params):
        response = client.get("/licenses", params)
        assert response.status_code == 200, response.content
        return [item["card"] for item in response.json()["items"]]

    assert cards({"days_max": 5}) == ["A1"]
    assert cards({"days_min": 5, "days_max": 20}) == ["A1", "A2"]
    assert cards({"type": "ADAS-365"}) == ["A1", "A2"]
    assert cards({"locked": "true"}) == ["A3"]
    assert cards({"status": "unused", "locked": "false"}) == ["A1", "A2"]
    assert cards({"card": "A2"}) == ["A2"]
    assert cards({"order": "-card"}) == ["A3", "A2", "A1"]
    assert cards({"activated_from": "2026-01-01"}) == []


def test_license_list_pages(api_as, tree, catalogue):
    for i in range(5):
        make_license(customer=tree.dealer, card=f"P{i}")
    body = api_as(tree.dealer_admin).get("/licenses", {"page": 2, "page_size": 2}).json()
    assert body["count"] == 5
    assert [item["card"] for item in body["items"]] == ["P2", "P3"]


def test_license_list_of_a_sub_customer(api_as, tree):
    make_license(customer=tree.fleet, card="F1")
    body = api_as(tree.distributor_admin).get("/licenses", {"customer": tree.fleet.number}).json()
    assert [item["card"] for item in body["items"]] == ["F1"]


@pytest.mark.parametrize("customer", ["sibling", "distributor"])
def test_license_list_outside_the_subtree_is_404(api_as, tree, customer):
    response = api_as(tree.dealer_admin).get(
        "/licenses", {"customer": getattr(tree, customer).number}
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_license_detail(api_as, tree):
    make_license(customer=tree.fleet, card="F1")
    response = api_as(tree.dealer_viewer).get("/licenses/F1")
    assert response.status_code == 200
    assert response.json()["card"] == "F1"
    assert set(response.json()) == LICENSE_KEYS


@pytest.mark.parametrize("card", ["S1", "NOPE"])
def test_license_detail_outside_the_subtree_or_missing_is_404(api_as, tree, card):
    make_license(customer=tree.sibling, card="S1")
    response = api_as(tree.dealer_admin).get(f"/licenses/{card}")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_stats(api_as, tree, catalogue):
    _model, _other, license_type = catalogue
    make_license(customer=tree.dealer, type=license_type, card="A1", available_days=5)
    make_license(customer=tree.dealer, type=license_type, card="A2", available_days=20)
    make_license(customer=tree.dealer, type=license_type, card="A3", available_days=0)
    make_license(customer=tree.fleet, type=license_type, card="F1")
    body = api_as(tree.dealer_viewer).get("/licenses/stats").json()
    assert body == {
        "total": 3,
        "below_30_days": 2,
        "below_7_days": 1,
        "by_type": {"ADAS-365": 3},
        "by_status": {
            "unused": 2,
            "inactive": 0,
            "in_use": 0,
            "deactivated": 0,
            "expired": 1,
        },
    }
    sub = api_as(tree.dealer_viewer).get("/licenses/stats", {"customer": tree.fleet.number})
    assert sub.json()["total"] == 1


def test_stats_outside_the_subtree_is_404(api_as, tree):
    response = api_as(tree.dealer_admin).get("/licenses/stats", {"customer": tree.sibling.number})
    assert response.status_code == 404


def test_summary(api_as, tree, catalogue):
    _model, _other, license_type = catalogue
    make_license(customer=tree.dealer, type=license_type, card="A1")
    make_license(customer=tree.dealer, type=license_type, card="A2", available_days=0)
    make_license(customer=tree.dealer, card="B1")
    body = api_as(tree.dealer_viewer).get("/licenses/summary", {"type": "ADAS-365"}).json()
    assert body == {
        "items": [
            {
                "type": "ADAS-365",
                "name": "Test license",
                "days": 365,
                "models": ["MX-C6"],
                "unused": 1,
                "inactive": 0,
                "in_use": 0,
                "deactivated": 0,
                "expired": 1,
                "total": 2,
            }
        ]
    }
    assert len(api_as(tree.dealer_viewer).get("/licenses/summary").json()["items"]) == 2


def test_summary_outside_the_subtree_is_404(api_as, tree):
    response = api_as(tree.dealer_admin).get("/licenses/summary", {"customer": tree.sibling.number})
    assert response.status_code == 404


# --- issue and top up -----------------------------------------------------------------------


def test_issue_to_the_platform(api_as, tree, catalogue):
    response = api_as(tree.platform_admin).post(
        "/licenses/issue", {"type": "ADAS-365", "quantity": 3}
    )
    assert response.status_code == 201
    cards = response.json()["cards"]
    assert len(cards) == 3 == len(set(cards))
    license = License.objects.get(card=cards[0])
    assert license.customer == tree.platform
    assert license.total_days == license.available_days == 365


def test_issue_to_a_customer_records_a_sale(api_as, tree, catalogue):
    response = api_as(tree.platform_admin).post(
        "/licenses/issue", {"type": "ADAS-365", "quantity": 2, "customer": tree.dealer.number}
    )
    assert response.status_code == 201
    cards = response.json()["cards"]
    assert set(License.objects.filter(card__in=cards).values_list("customer", flat=True)) == {
        tree.dealer.pk
    }
    assert Transfer.objects.filter(license__card__in=cards, method="sell").count() == 2


@pytest.mark.parametrize("quantity", [0, 100_001, "many"])
def test_issue_quantity_out_of_range_is_422(api_as, tree, catalogue, quantity):
    response = api_as(tree.platform_admin).post(
        "/licenses/issue", {"type": "ADAS-365", "quantity": quantity}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_issue_of_an_unknown_type_is_404(api_as, tree):
    response = api_as(tree.platform_admin).post("/licenses/issue", {"type": "X", "quantity": 1})
    assert response.status_code == 404


def test_only_the_platform_admin_issues(api_as, tree, catalogue):
    response = api_as(tree.distributor_admin).post(
        "/licenses/issue", {"type": "ADAS-365", "quantity": 1}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_top_up(api_as, tree):
    make_license(customer=tree.dealer, card="A1", total_days=30, available_days=10)
    response = api_as(tree.platform_admin).post("/licenses/A1/top-up", {"days": 5})
    assert response.status_code == 200
    assert response.json()["total_days"] == 35
    assert response.json()["available_days"] == 15


@pytest.mark.parametrize("days", [0, 36_501])
def test_top_up_days_out_of_range_is_422(api_as, tree, days):
    make_license(customer=tree.dealer, card="A1")
    response = api_as(tree.platform_admin).post("/licenses/A1/top-up", {"days": days})
    assert response.status_code == 422


def test_only_the_platform_admin_tops_up(api_as, tree):
    make_license(customer=tree.dealer, card="A1")
    response = api_as(tree.dealer_admin).post("/licenses/A1/top-up", {"days": 5})
    assert response.status_code == 403


# --- lock, unlock ---------------------------------------------------------------------------


def test_lock_and_unlock(api_as, tree):
    make_license(customer=tree.dealer, card="A1")
    client = api_as(tree.dealer_operator)
    locked = client.post("/licenses/A1/lock")
    assert locked.status_code == 200
    assert locked.json()["locked"] is True
    again = client.post("/licenses/A1/lock")
    assert again.status_code == 409
    unlocked = client.post("/licenses/A1/unlock")
    assert unlocked.status_code == 200
    assert unlocked.json()["locked"] is False
    refused = client.post("/licenses/A1/unlock")
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "license_not_locked"


def test_lock_needs_an_unused_license(api_as, tree):
    make_license(customer=tree.dealer, card="A1", activated_at=NOW)
    response = api_as(tree.dealer_admin).post("/licenses/A1/lock")
    assert response.status_code == 409
    assert error_of(response)["code"] == "license_not_unused"


def test_lock_of_another_customers_license_is_404(api_as, tree):
    make_license(customer=tree.sibling, card="S1")
    response = api_as(tree.dealer_admin).post("/licenses/S1/lock")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_superior_may_not_lock_a_sub_customers_license(api_as, tree):
    make_license(customer=tree.fleet, card="F1")
    response = api_as(tree.dealer_admin).post("/licenses/F1/lock")
    assert response.status_code == 403


# --- bind, unbind ---------------------------------------------------------------------------


def test_bind_and_unbind(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    make_device(customer=tree.dealer, model=model, number="D1")
    make_license(customer=tree.dealer, type=license_type, card="A1")
    client = api_as(tree.dealer_operator)
    bound = client.post("/licenses/A1/bind", {"device": "D1"})
    assert bound.status_code == 200, bound.content
    assert bound.json()["device"] == "D1"
    assert bound.json()["status"] == "inactive"
    assert bound.json()["bound_at"] is not None
    unbound = client.post("/licenses/A1/unbind")
    assert unbound.status_code == 200
    assert unbound.json()["device"] is None
    assert unbound.json()["status"] == "unused"
    again = client.post("/licenses/A1/unbind")
    assert again.status_code == 409
    assert error_of(again)["code"] == "license_not_bound"


def test_bind_to_a_sub_customers_device_transfers_the_license(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    make_device(customer=tree.fleet, model=model, number="F-D1")
    make_license(customer=tree.dealer, type=license_type, card="A1")
    response = api_as(tree.dealer_admin).post("/licenses/A1/bind", {"device": "F-D1"})
    assert response.status_code == 200
    assert response.json()["customer"] == tree.fleet.number
    assert Transfer.objects.get(license__card="A1").method == "bind"


def test_bind_error_codes(api_as, tree, catalogue):
    model, other_model, license_type = catalogue
    make_device(customer=tree.dealer, model=model, number="D1")
    make_device(customer=tree.dealer, model=other_model, number="DZ")
    make_license(customer=tree.dealer, type=license_type, card="LOCKED", locked=True)
    make_license(customer=tree.dealer, type=license_type, card="EXPIRED", available_days=0)
    make_license(customer=tree.dealer, type=license_type, card="FREE")
    client = api_as(tree.dealer_admin)

    def code(card, device):
        response = client.post(f"/licenses/{card}/bind", {"device": device})
        assert response.status_code in (404, 409), response.content
        return error_of(response)["code"]

    assert code("LOCKED", "D1") == "license_locked"
    assert code("EXPIRED", "D1") == "license_expired"
    assert code("FREE", "DZ") == "model_mismatch"
    assert code("FREE", "NOPE") == "not_found"
    assert client.post("/licenses/FREE/bind", {"device": "D1"}).status_code == 200
    assert code("FREE", "D1") == "license_bound"


def test_bind_to_a_device_outside_the_owners_subtree(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    tree.fleet.allow_superior_manage_licenses = True
    tree.fleet.save()
    make_license(customer=tree.fleet, type=license_type, card="F1")
    make_device(customer=tree.dealer, model=model, number="D1")
    response = api_as(tree.dealer_admin).post("/licenses/F1/bind", {"device": "D1"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "device_not_in_subtree"


def test_bind_to_a_device_the_actor_cannot_see_is_404(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    make_license(customer=tree.dealer, type=license_type, card="A1")
    make_device(customer=tree.sibling, model=model, number="S-D1")
    response = api_as(tree.dealer_admin).post("/licenses/A1/bind", {"device": "S-D1"})
    assert response.status_code == 404


def test_superior_management_switch(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    make_device(customer=tree.fleet, model=model, number="F-D1")
    make_license(customer=tree.fleet, type=license_type, card="F1")
    client = api_as(tree.dealer_admin)
    refused = client.post("/licenses/F1/bind", {"device": "F-D1"})
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "superior_management_disabled"
    api_as(tree.fleet_admin).patch(
        f"/customers/{tree.fleet.number}/settings", {"allow_superior_manage_licenses": True}
    )
    assert client.post("/licenses/F1/bind", {"device": "F-D1"}).status_code == 200


def test_bind_of_another_customers_license_is_404(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    make_device(customer=tree.dealer, model=model, number="D1")
    make_license(customer=tree.sibling, type=license_type, card="S1")
    response = api_as(tree.dealer_admin).post("/licenses/S1/bind", {"device": "D1"})
    assert response.status_code == 404


def test_bind_lifts_the_blacklist(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    make_device(
        customer=tree.dealer,
        model=model,
        number="D1",
        blacklisted=True,
        blacklisted_at=NOW - timedelta(days=1),
        blacklist_reason="no_valid_license",
    )
    make_license(customer=tree.dealer, type=license_type, card="A1")
    api_as(tree.dealer_admin).post("/licenses/A1/bind", {"device": "D1"})
    assert Device.objects.get(number="D1").blacklisted is False


# --- sell, return ---------------------------------------------------------------------------


def test_sell_cards_to_a_child(api_as, tree):
    make_license(customer=tree.dealer, card="A1")
    make_license(customer=tree.dealer, card="A2")
    response = api_as(tree.dealer_operator).post(
        "/licenses/sell", {"to": tree.fleet.number, "cards": ["A1", "A2"]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"batch", "cards"}
    assert sorted(body["cards"]) == ["A1", "A2"]
    assert set(Transfer.objects.values_list("batch", flat=True)) == {
        __import__("uuid").UUID(body["batch"])
    }
    assert License.objects.filter(customer=tree.fleet).count() == 2


def test_sell_by_batch_select_picks_the_oldest_cards(api_as, tree, catalogue):
    _model, _other, license_type = catalogue
    for card in ["A3", "A1", "A2"]:
        make_license(customer=tree.dealer, type=license_type, card=card)
    make_license(customer=tree.dealer, card="B0")  # another type
    response = api_as(tree.dealer_admin).post(
        "/licenses/sell", {"to": tree.fleet.number, "type": "ADAS-365", "quantity": 2}
    )
    assert response.status_code == 200
    assert response.json()["cards"] == ["A1", "A2"]


def test_sell_more_than_available_is_insufficient_quantity(api_as, tree):
    make_license(customer=tree.dealer, card="A1")
    response = api_as(tree.dealer_admin).post(
        "/licenses/sell", {"to": tree.fleet.number, "quantity": 2}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "insufficient_quantity"
    assert License.objects.get(card="A1").customer == tree.dealer


def test_sell_to_a_grandchild_is_not_a_child(api_as, tree):
    make_license(customer=tree.distributor, card="A1")
    response = api_as(tree.distributor_admin).post(
        "/licenses/sell", {"to": tree.fleet.number, "cards": ["A1"]}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_a_child"


def test_sell_is_all_or_nothing(api_as, tree):
    make_license(customer=tree.dealer, card="A1")
    make_license(customer=tree.dealer, card="A2", locked=True)
    response = api_as(tree.dealer_admin).post(
        "/licenses/sell", {"to": tree.fleet.number, "cards": ["A1", "A2"]}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "license_locked"
    assert License.objects.filter(customer=tree.dealer).count() == 2
    assert Transfer.objects.count() == 0


def test_sell_of_another_customers_card_is_404(api_as, tree):
    make_license(customer=tree.sibling, card="S1")
    response = api_as(tree.dealer_admin).post(
        "/licenses/sell", {"to": tree.fleet.number, "cards": ["S1"]}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"cards": ["A1"], "quantity": 1}, {}, {"quantity": 0}, {"cards": []}],
)
def test_sell_needs_cards_or_a_quantity(api_as, tree, body):
    make_license(customer=tree.dealer, card="A1")
    response = api_as(tree.dealer_admin).post("/licenses/sell", {"to": tree.fleet.number, **body})
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_return_cards_to_the_parent(api_as, tree):
    make_license(customer=tree.dealer, card="A1")
    response = api_as(tree.dealer_admin).post("/licenses/return", {"cards": ["A1"]})
    assert response.status_code == 200
    assert response.json()["cards"] == ["A1"]
    assert License.objects.get(card="A1").customer == tree.distributor
    assert Transfer.objects.get().method == "return"


def test_return_of_a_bound_license_is_refused(api_as, tree):
    device = make_device(customer=tree.dealer, number="D1")
    make_license(customer=tree.dealer, card="A1", device=device, bound_at=NOW)
    response = api_as(tree.dealer_admin).post("/licenses/return", {"cards": ["A1"]})
    assert response.status_code == 409
    assert error_of(response)["code"] == "license_bound"


def test_the_platform_has_no_superior(api_as, tree):
    make_license(customer=tree.platform, card="P1")
    response = api_as(tree.platform_admin).post("/licenses/return", {"cards": ["P1"]})
    assert response.status_code == 409
    assert error_of(response)["code"] == "no_superior"


def test_superior_returns_a_sub_customers_licenses_by_batch_select(api_as, tree):
    tree.fleet.allow_superior_manage_licenses = True
    tree.fleet.save()
    make_license(customer=tree.fleet, card="F1")
    make_license(customer=tree.fleet, card="F2")
    response = api_as(tree.dealer_admin).post(
        "/licenses/return", {"customer": tree.fleet.number, "quantity": 1}
    )
    assert response.status_code == 200, response.content
    assert response.json()["cards"] == ["F1"]
    assert License.objects.get(card="F1").customer == tree.dealer


def test_return_by_batch_select_with_management_disabled(api_as, tree):
    make_license(customer=tree.fleet, card="F1")
    response = api_as(tree.dealer_admin).post(
        "/licenses/return", {"customer": tree.fleet.number, "quantity": 1}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "superior_management_disabled"


def test_return_for_a_customer_outside_the_subtree_is_404(api_as, tree):
    make_license(customer=tree.sibling, card="S1")
    response = api_as(tree.dealer_admin).post(
        "/licenses/return", {"customer": tree.sibling.number, "quantity": 1}
    )
    assert response.status_code == 404


# --- transfers ------------------------------------------------------------------------------


def test_transfers_shape_and_filters(api_as, tree, catalogue):
    make_license(customer=tree.dealer, card="A1")
    make_license(customer=tree.dealer, card="A2")
    api_as(tree.dealer_admin).post("/licenses/sell", {"to": tree.fleet.number, "cards": ["A1"]})
    api_as(tree.dealer_admin).post("/licenses/return", {"cards": ["A2"]})
    client = api_as(tree.dealer_viewer)
    body = client.get("/transfers").json()
    assert body["count"] == 2
    sale = next(item for item in body["items"] if item["card"] == "A1")
    assert set(sale) == {"at", "card", "type", "from", "to", "method", "batch", "account"}
    assert sale["from"] == tree.dealer.number
    assert sale["to"] == tree.fleet.number
    assert sale["method"] == "sell"
    assert sale["account"] == tree.dealer_admin.username
    assert sale["at"].endswith("Z")
    assert [i["card"] for i in client.get("/transfers", {"method": "return"}).json()["items"]] == [
        "A2"
    ]
    assert client.get("/transfers", {"card": "A1"}).json()["count"] == 1
    assert client.get("/transfers", {"date_to": "2000-01-01"}).json()["count"] == 0
    # The fleet took part in the sale only.
    fleet = client.get("/transfers", {"customer": tree.fleet.number}).json()
    assert [i["card"] for i in fleet["items"]] == ["A1"]


def test_transfers_outside_the_subtree_is_404(api_as, tree):
    response = api_as(tree.dealer_admin).get("/transfers", {"customer": tree.sibling.number})
    assert response.status_code == 404


# --- license types --------------------------------------------------------------------------


def test_license_types_list_and_create(api_as, tree, catalogue):
    response = api_as(tree.platform_admin).post(
        "/license-types",
        {"code": "DASH-30", "name": "Dashcam month", "days": 30, "models": ["MX-C6", "MX-Z"]},
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "code": "DASH-30",
        "name": "Dashcam month",
        "days": 30,
        "models": ["MX-C6", "MX-Z"],
        "charge_days": 1,
        "period_hours": 24,
    }
    body = api_as(tree.fleet_admin).get("/license-types").json()
    assert [t["code"] for t in body["items"]] == ["ADAS-365", "DASH-30"]
    assert body["count"] == 2


def test_license_type_with_an_unknown_model_is_404(api_as, tree):
    response = api_as(tree.platform_admin).post(
        "/license-types", {"code": "X", "name": "X", "days": 30, "models": ["nope"]}
    )
    assert response.status_code == 404


def test_only_the_platform_admin_creates_license_types(api_as, tree, catalogue):
    response = api_as(tree.dealer_admin).post(
        "/license-types", {"code": "X", "name": "X", "days": 30, "models": ["MX-C6"]}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("field,value", [("days", 0), ("charge_days", 0), ("models", [])])
def test_license_type_values_are_validated(api_as, tree, catalogue, field, value):
    body = {"code": "X", "name": "X", "days": 30, "models": ["MX-C6"], field: value}
    response = api_as(tree.platform_admin).post("/license-types", body)
    assert response.status_code == 422
