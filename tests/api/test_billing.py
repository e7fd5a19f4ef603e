"""Deduction records and the report gate."""

from datetime import timedelta

import pytest
from django.test import Client

from daypass.billing.models import Deduction
from daypass.devices.models import Device
from daypass.licenses.models import License
from tests.api.conftest import error_of, token_of
from tests.factories import NOW, make_account, make_device, make_license

DEDUCTION_KEYS = {
    "id",
    "at",
    "device",
    "card",
    "customer",
    "days",
    "available_days_after",
    "window_start",
    "window_end",
    "trigger",
    "result",
    "reason",
}


@pytest.fixture
def gateway(tree):
    return make_account(tree.platform, "gateway")


def report(client, *numbers):
    response = client.post("/gate/reports", {"reports": [{"device": n} for n in numbers]})
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- the gate -------------------------------------------------------------------------------


def test_gate_answers_every_reason_in_request_order(api_as, tree, gateway):
    far = NOW + timedelta(days=3650)
    make_device(customer=tree.dealer, number="PAID", service_until=far)
    charged = make_device(customer=tree.dealer, number="DUE")
    make_license(customer=tree.dealer, card="A1", device=charged, bound_at=NOW)
    make_device(customer=tree.dealer, number="EMPTY")
    make_device(
        customer=tree.dealer,
        number="BLACK",
        blacklisted=True,
        blacklisted_at=NOW,
        blacklist_reason="no_valid_license",
    )
    results = report(api_as(gateway), "DUE", "PAID", "NOPE", "BLACK", "EMPTY", "DUE")
    assert [(r["device"], r["allowed"], r["reason"]) for r in results] == [
        ("DUE", True, "charged"),
        ("PAID", True, "paid"),
        ("NOPE", False, "unknown_device"),
        ("BLACK", False, "blacklisted"),
        ("EMPTY", False, "no_valid_license"),
        ("DUE", True, "paid"),  # the same device twice: charged once
    ]
    assert set(results[0]) == {"device", "allowed", "reason", "service_until"}
    assert results[1]["service_until"] == far.isoformat().replace("+00:00", "Z")
    assert results[2]["service_until"] is None
    assert results[0]["service_until"] == results[5]["service_until"]
    assert Deduction.objects.filter(device=charged).count() == 1
    assert License.objects.get(card="A1").available_days == 364
    assert Device.objects.get(number="EMPTY").blacklisted is True


@pytest.fixture
def paid_devices(tree):
    far = NOW + timedelta(days=3650)
    model = make_device(customer=tree.dealer).model
    numbers = [f"P{i:04d}" for i in range(1000)]
    Device.objects.bulk_create(
        Device(number=n, model=model, customer=tree.dealer, service_until=far, registered_at=NOW)
        for n in numbers
    )
    return numbers


def test_gate_batch_of_paid_devices_costs_two_queries(
    api_as, gateway, paid_devices, settings, django_assert_num_queries
):
    settings.DAYPASS_GATEWAY_TOKEN_CACHE_SECONDS = 0
    client = api_as(gateway)
    report(client, "P0000")  # the token's last_used_at is written (at most once a minute)
    body = {"reports": [{"device": n} for n in paid_devices]}
    # One query for the token (by its hash), one for the 1,000 devices.
    with django_assert_num_queries(2):
        response = client.post("/gate/reports", body)
    assert response.status_code == 200
    assert all(r["reason"] == "paid" for r in response.json()["results"])


def test_gate_batch_with_a_remembered_gateway_token_costs_one_query(
    api_as, gateway, paid_devices, settings, django_assert_num_queries
):
    settings.DAYPASS_GATEWAY_TOKEN_CACHE_SECONDS = 10
    client = api_as(gateway)
    report(client, "P0000")
    body = {"reports": [{"device": n} for n in paid_devices]}
    with django_assert_num_queries(1):  # the devices
        response = client.post("/gate/reports", body)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"reports": []},
        {"reports": [{"device": "X"}] * 1001},
        {"reports": [{}]},
        {"reports": [{"device": ""}]},
        {"devices": ["X"]},
    ],
)
def test_gate_batch_shape_is_validated(api_as, gateway, body):
    response = api_as(gateway).post("/gate/reports", body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_gate_accepts_1000_reports(api_as, gateway):
    results = report(api_as(gateway), *[f"U{i}" for i in range(1000)])
    assert len(results) == 1000


def test_gate_without_token_is_401(api_as, tree):
    response = api_as(None).post("/gate/reports", {"reports": [{"device": "X"}]})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


# --- deduction records ----------------------------------------------------------------------


@pytest.fixture
def charged(api_as, tree, gateway):
    """D1 (dealer) charged once from A1; D2 (fleet) refused: no valid license."""
    device = make_device(customer=tree.dealer, number="D1")
    make_license(customer=tree.dealer, card="A1", device=device, bound_at=NOW)
    make_device(customer=tree.fleet, number="D2")
    report(api_as(gateway), "D1", "D2")


def test_deductions_of_the_selected_customer(api_as, tree, charged):
    client = api_as(tree.dealer_viewer)
    body = client.get("/deductions").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert set(item) == DEDUCTION_KEYS
    assert item["device"] == "D1"
    assert item["card"] == "A1"
    assert item["customer"] == tree.dealer.number
    assert item["days"] == 1
    assert item["available_days_after"] == 364
    assert item["trigger"] == "report"
    assert item["result"] == "success"
    assert item["reason"] is None
    assert item["window_start"].endswith("Z") and item["window_end"].endswith("Z")

    failed = client.get("/deductions", {"customer": tree.fleet.number}).json()["items"]
    assert [(d["device"], d["result"], d["reason"], d["card"]) for d in failed] == [
        ("D2", "failed", "no_valid_license", None)
    ]


def test_deduction_filters(api_as, tree, charged):
    client = api_as(tree.dealer_admin)
    assert client.get("/deductions", {"result": "failed"}).json()["count"] == 0
    assert client.get("/deductions", {"device": "D1"}).json()["count"] == 1
    assert client.get("/deductions", {"card": "B9"}).json()["count"] == 0
    assert client.get("/deductions", {"date_to": "2000-01-01"}).json()["count"] == 0
    bad = client.get("/deductions", {"result": "maybe"})
    assert bad.status_code == 422


def test_deductions_of_one_license(api_as, tree, charged):
    body = api_as(tree.distributor_admin).get("/licenses/A1/deductions").json()
    assert body["count"] == 1
    assert body["items"][0]["card"] == "A1"


def test_deductions_of_another_customers_license_is_404(api_as, tree, charged):
    response = api_as(tree.sibling_admin).get("/licenses/A1/deductions")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_deductions_outside_the_subtree_is_404(api_as, tree, charged):
    response = api_as(tree.fleet_admin).get("/deductions", {"customer": tree.dealer.number})
    assert response.status_code == 404


# --- the gate's fast path and the Ninja operation answer alike --------------------------------
# A plain report is answered by `gate_fast_path`; anything unusual falls through to the Ninja
# operation. These pin that both give the same answers.


def test_gate_answers_alike_with_and_without_an_idempotency_key(api_as, gateway, paid_devices):
    client = api_as(gateway)
    body = {"reports": [{"device": "P0001"}, {"device": "NOPE"}]}
    plain = client.post("/gate/reports", body)
    keyed = client.post("/gate/reports", body, {"Idempotency-Key": "k1"})
    assert plain.status_code == keyed.status_code == 200
    assert plain.content == keyed.content
    assert plain["Content-Type"] == keyed["Content-Type"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "bad_request"),
        (b"", 422, "validation_error"),
        ({"reports": [{"device": 7}]}, 422, "validation_error"),
        ([{"device": "P0001"}], 422, "validation_error"),
    ],
)
def test_gate_refuses_bad_bodies_with_the_envelope(api_as, gateway, body, status, code):
    response = api_as(gateway).post("/gate/reports", body)
    assert response.status_code == status
    assert error_of(response)["code"] == code


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_gate_refuses_people_with_a_403(api_as, tree, role):
    response = api_as(make_account(tree.dealer, role)).post(
        "/gate/reports", {"reports": [{"device": "X"}]}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_gate_refuses_a_revoked_token_with_a_401(api_as, gateway):
    client = api_as(gateway)
    assert client.delete("/tokens/current").status_code == 204
    response = client.post("/gate/reports", {"reports": [{"device": "X"}]})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_gate_get_is_a_json_405(api_as, gateway):
    response = api_as(gateway).get("/gate/reports")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert response["Allow"] == "POST"


def test_gate_failure_is_an_enveloped_500_without_details(api_as, gateway, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr("daypass.billing.api.gate_check", broken)
    response = api_as(gateway).post("/gate/reports", {"reports": [{"device": "X"}]})
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
    assert b"secret detail" not in response.content


def test_gate_device_number_the_database_cannot_hold_is_not_a_500(api_as, gateway):
    # SPEC 9: text holding NUL is a 422 on every database (PostgreSQL cannot even store it).
    response = api_as(gateway).post("/gate/reports", {"reports": [{"device": "A\u0000B"}]})

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_gate_needs_no_csrf_token(gateway):
    # Browsers' CSRF protection must not refuse a gateway's POST (the test client skips the
    # check unless told to enforce it).
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/gate/reports",
        data={"reports": [{"device": "X"}]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_of(gateway)}"},
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["reason"] == "unknown_device"
