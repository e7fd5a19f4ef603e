"""GET /licenses/consumption: days deducted per day and the forecast (SPEC 13)."""

from datetime import timedelta
from unittest import mock

import pytest

from tests.api.conftest import error_of
from tests.api.test_subtree import make_deduction
from tests.factories import NOW, make_device, make_license, make_license_type

TODAY = NOW.date()  # 2026-11-01, NOW is 12:00 UTC


@pytest.fixture(autouse=True)
def frozen_clock():
    with mock.patch("daypass.core.clock.now", return_value=NOW):
        yield


@pytest.fixture
def fleet_usage(tree):
    """Two types; the fleet holds bound and stock licenses and was charged over 40 days."""
    adas = make_license_type(code="ADAS-365", days=365)
    dash = make_license_type(code="DASH-30", days=30)
    device = make_device(customer=tree.fleet, model=adas.device_models.get(), number="D1")
    other = make_device(customer=tree.fleet, model=dash.device_models.get(), number="D2")
    bound = make_license(
        customer=tree.fleet,
        type=adas,
        card="B1",
        device=device,
        bound_at=NOW,
        activated_at=NOW,
        available_days=100,
    )
    dash_bound = make_license(
        customer=tree.fleet,
        type=dash,
        card="B2",
        device=other,
        bound_at=NOW,
        activated_at=NOW,
        available_days=10,
    )
    make_license(customer=tree.fleet, type=adas, card="S1", available_days=200)  # stock
    make_license(customer=tree.fleet, type=adas, card="S2", available_days=50, locked=True)
    make_license(customer=tree.fleet, type=adas, card="S3", available_days=0)  # expired
    make_license(  # deactivated: unbound, activated, days left: stock too
        customer=tree.fleet, type=adas, card="S4", available_days=30, activated_at=NOW
    )
    # ADAS: 1 day a day for the last 40 days (today included); DASH: 2 days, 14 days ago.
    for back in range(40):
        make_deduction(
            license=bound,
            device=device,
            customer=tree.fleet,
            at=NOW - timedelta(days=back, hours=1),
        )
    make_deduction(
        license=dash_bound, device=other, customer=tree.fleet, days=2, at=NOW - timedelta(days=14)
    )
    make_deduction(
        license=None, device=other, customer=tree.fleet, failed=True, at=NOW - timedelta(days=2)
    )
    return adas, dash


def consumption(client, **params):
    response = client.get("/licenses/consumption", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_every_date_of_the_range_oldest_first_zeros_included(api_as, tree, fleet_usage):
    body = consumption(api_as(tree.fleet_admin))

    items = body["items"]
    assert len(items) == 90
    assert items[0]["date"] == (TODAY - timedelta(days=89)).isoformat()
    assert items[-1]["date"] == TODAY.isoformat()
    assert items[0] == {"date": items[0]["date"], "days": 0, "charges": 0, "failed": 0}
    by_date = {item["date"]: item for item in items}
    assert by_date[TODAY.isoformat()] == {
        "date": TODAY.isoformat(),
        "days": 1,
        "charges": 1,
        "failed": 0,
    }
    fourteen = (TODAY - timedelta(days=14)).isoformat()
    assert by_date[fourteen] == {"date": fourteen, "days": 3, "charges": 2, "failed": 0}
    two = (TODAY - timedelta(days=2)).isoformat()
    assert by_date[two] == {"date": two, "days": 1, "charges": 1, "failed": 1}
    assert sum(item["days"] for item in items) == 42


def test_days_sets_the_range(api_as, tree, fleet_usage):
    items = consumption(api_as(tree.fleet_admin), days=1)["items"]

    assert [item["date"] for item in items] == [TODAY.isoformat()]
    assert len(consumption(api_as(tree.fleet_admin), days=366)["items"]) == 366


def test_forecast_at_the_rate_of_the_last_28_days(api_as, tree, fleet_usage):
    forecast = consumption(api_as(tree.fleet_admin))["forecast"]

    # 28 ADAS days + 2 DASH days in the last 28 days
    assert forecast["daily_days"] == pytest.approx(30 / 28)
    assert forecast["bound_days"] == 110  # B1 100 + B2 10
    assert forecast["stock_days"] == 230  # S1 200 + S4 30 (not locked S2, not expired S3)
    # 340 days / (30/28) a day = 317.33 days
    assert forecast["stock_runs_out_on"] == (TODAY + timedelta(days=317)).isoformat()
    adas, dash = forecast["by_type"]
    assert adas == {
        "type": "ADAS-365",
        "daily_days": pytest.approx(1.0),
        "bound_days": 100,
        "stock_days": 230,
        "stock_runs_out_on": (TODAY + timedelta(days=330)).isoformat(),
    }
    assert dash == {
        "type": "DASH-30",
        "daily_days": pytest.approx(2 / 28),
        "bound_days": 10,
        "stock_days": 0,
        "stock_runs_out_on": (TODAY + timedelta(days=140)).isoformat(),
    }


def test_nothing_consumed_runs_out_never(api_as, tree, fleet_usage):
    make_license(customer=tree.dealer, type=fleet_usage[0], card="DL1", available_days=9)

    body = consumption(api_as(tree.dealer_admin))

    assert body["forecast"] == {
        "daily_days": 0,
        "bound_days": 0,
        "stock_days": 9,
        "stock_runs_out_on": None,
        "by_type": [
            {
                "type": "ADAS-365",
                "daily_days": 0,
                "bound_days": 0,
                "stock_days": 9,
                "stock_runs_out_on": None,
            }
        ],
    }
    assert all(item["days"] == 0 for item in body["items"])


def test_consumption_with_subtree(api_as, tree, fleet_usage):
    client = api_as(tree.distributor_viewer)

    alone = consumption(client)
    whole = consumption(client, subtree="true")
    selected = consumption(client, customer=tree.fleet.number)

    assert alone["forecast"]["bound_days"] == 0
    assert whole["forecast"] == selected["forecast"]
    assert whole["forecast"]["bound_days"] == 110


@pytest.mark.parametrize("days", ["0", "367", "-1", "ten", "1.5"])
def test_days_out_of_range_is_a_validation_error(api_as, tree, days):
    response = api_as(tree.fleet_admin).get("/licenses/consumption", {"days": days})

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_consumption_outside_the_subtree_is_not_found(api_as, tree):
    response = api_as(tree.dealer_admin).get(
        "/licenses/consumption", {"customer": tree.sibling.number}
    )

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_consumption_is_not_a_card(api_as, tree):
    # /licenses/consumption is routed before /licenses/{card}
    make_license(customer=tree.fleet, card="consumption")

    assert set(consumption(api_as(tree.fleet_admin))) == {"items", "forecast"}
