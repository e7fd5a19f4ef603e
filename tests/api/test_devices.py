"""Device models, devices and device transfer."""

from datetime import timedelta

from django.utils import timezone

from daypass.devices.models import Device
from daypass.licenses.models import Transfer
from tests.api.conftest import error_of
from tests.factories import NOW, make_device, make_device_model, make_license

DEVICE_KEYS = {
    "number",
    "model",
    "customer",
    "service_until",
    "blacklisted",
    "licenses",
    "last_refused_at",
    "refused_reports",
}


def test_device_models_list_and_create(api_as, tree):
    make_device_model("MX-A")
    created = api_as(tree.platform_admin).post("/device-models", {"code": "MX-C6", "name": "C6"})
    assert created.status_code == 201
    assert created.json() == {"code": "MX-C6", "name": "C6"}
    body = api_as(tree.fleet_admin).get("/device-models").json()
    assert body["count"] == 2
    assert [m["code"] for m in body["items"]] == ["MX-A", "MX-C6"]


def test_only_the_platform_admin_creates_device_models(api_as, tree):
    response = api_as(tree.distributor_admin).post("/device-models", {"code": "MX-Z"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_duplicate_device_model_is_422(api_as, tree):
    make_device_model("MX-A")
    response = api_as(tree.platform_admin).post("/device-models", {"code": "MX-A"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_register_a_device(api_as, tree):
    make_device_model("MX-A")
    response = api_as(tree.platform_admin).post(
        "/devices", {"number": "860000000000001", "model": "MX-A", "customer": tree.dealer.number}
    )
    assert response.status_code == 201
    assert response.json() == {
        "number": "860000000000001",
        "model": "MX-A",
        "customer": tree.dealer.number,
        "service_until": None,
        "blacklisted": False,
        "licenses": [],
        "last_refused_at": None,
        "refused_reports": 0,
    }


def test_register_with_an_unknown_model_is_404(api_as, tree):
    response = api_as(tree.platform_admin).post(
        "/devices", {"number": "1", "model": "nope", "customer": tree.dealer.number}
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_only_the_platform_admin_registers_devices(api_as, tree):
    make_device_model("MX-A")
    response = api_as(tree.dealer_admin).post(
        "/devices", {"number": "1", "model": "MX-A", "customer": tree.dealer.number}
    )
    assert response.status_code == 403


def test_devices_list_shape_filters_and_bound_licenses(api_as, tree):
    model = make_device_model("MX-A")
    paid_until = NOW + timedelta(hours=5)
    device = make_device(customer=tree.dealer, model=model, number="D1", service_until=paid_until)
    make_device(customer=tree.dealer, number="D2")
    make_device(customer=tree.fleet, number="D3")  # a sub-customer's: not listed
    make_license(customer=tree.dealer, card="B2", device=device, bound_at=NOW)
    make_license(customer=tree.dealer, card="B1", device=device, bound_at=NOW)
    client = api_as(tree.dealer_viewer)

    body = client.get("/devices").json()
    assert body["count"] == 2
    first = body["items"][0]
    assert set(first) == DEVICE_KEYS
    assert first["number"] == "D1"
    assert first["licenses"] == ["B1", "B2"]
    assert first["service_until"] == "2026-11-01T17:00:00Z"

    assert client.get("/devices", {"model": "MX-A"}).json()["count"] == 1
    assert client.get("/devices", {"number": "D2"}).json()["items"][0]["number"] == "D2"
    assert client.get("/devices", {"blacklisted": "true"}).json()["count"] == 0
    sub = client.get("/devices", {"customer": tree.fleet.number}).json()
    assert [d["number"] for d in sub["items"]] == ["D3"]


def test_devices_refused_in_the_last_n_days(api_as, tree):
    now = timezone.now()
    make_device(
        customer=tree.dealer,
        number="D1",
        last_refused_at=now - timedelta(hours=2),
        refused_reports=4,
    )
    make_device(customer=tree.dealer, number="D2", last_refused_at=now - timedelta(days=3))
    make_device(customer=tree.dealer, number="D3")
    client = api_as(tree.dealer_viewer)

    def numbers(days):
        body = client.get("/devices", {"refused_within_days": days}).json()
        return [d["number"] for d in body["items"]]

    assert numbers(1) == ["D1"]
    assert numbers(7) == ["D1", "D2"]
    d1 = client.get("/devices", {"number": "D1"}).json()["items"][0]
    assert d1["refused_reports"] == 4
    assert d1["last_refused_at"] is not None


def test_refused_within_days_must_be_a_whole_number_of_at_least_one(api_as, tree):
    client = api_as(tree.dealer_viewer)
    for bad in ("0", "-1", "x", "1.5", "3651"):
        response = client.get("/devices", {"refused_within_days": bad})
        assert response.status_code == 422, bad
        assert error_of(response)["code"] == "validation_error"


def test_devices_of_a_customer_outside_the_subtree_is_404(api_as, tree):
    response = api_as(tree.dealer_admin).get("/devices", {"customer": tree.distributor.number})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_transfer_devices_takes_bound_licenses_along(api_as, tree):
    device = make_device(customer=tree.dealer, number="D1")
    make_license(customer=tree.dealer, card="B1", device=device, bound_at=NOW)
    response = api_as(tree.dealer_operator).post(
        "/devices/transfer", {"devices": ["D1"], "to": tree.fleet.number}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"batch", "devices"}
    assert body["devices"] == ["D1"]
    assert Device.objects.get(number="D1").customer == tree.fleet
    transfer = Transfer.objects.get(license__card="B1")
    assert transfer.method == "device" and str(transfer.batch) == body["batch"]


def test_transfer_of_another_customers_device_is_404(api_as, tree):
    make_device(customer=tree.sibling, number="S1")
    response = api_as(tree.dealer_admin).post(
        "/devices/transfer", {"devices": ["S1"], "to": tree.fleet.number}
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_transfer_of_an_unknown_device_is_404(api_as, tree):
    response = api_as(tree.dealer_admin).post(
        "/devices/transfer", {"devices": ["nope"], "to": tree.fleet.number}
    )
    assert response.status_code == 404


def test_transfer_to_a_customer_outside_the_subtree_is_404(api_as, tree):
    make_device(customer=tree.dealer, number="D1")
    response = api_as(tree.dealer_admin).post(
        "/devices/transfer", {"devices": ["D1"], "to": tree.sibling.number}
    )
    assert response.status_code == 404
    assert Device.objects.get(number="D1").customer == tree.dealer


def test_transfer_needs_devices(api_as, tree):
    response = api_as(tree.dealer_admin).post(
        "/devices/transfer", {"devices": [], "to": tree.fleet.number}
    )
    assert response.status_code == 422


def test_taking_a_sub_customers_device_with_its_licenses_needs_consent(api_as, tree):
    device = make_device(customer=tree.fleet, number="F1")
    make_license(customer=tree.fleet, card="FL1", device=device, bound_at=NOW)
    body = {"devices": ["F1"], "to": tree.dealer.number}

    by_operator = api_as(tree.dealer_operator).post("/devices/transfer", body)
    by_admin = api_as(tree.dealer_admin).post("/devices/transfer", body)

    assert by_operator.status_code == 403
    assert error_of(by_operator)["code"] == "forbidden"
    assert by_admin.status_code == 403
    assert error_of(by_admin)["code"] == "superior_management_disabled"
    assert Device.objects.get(number="F1").customer == tree.fleet
    assert not Transfer.objects.exists()

    api_as(tree.fleet_admin).patch(
        f"/customers/{tree.fleet.number}/settings", {"allow_superior_manage_licenses": True}
    )
    allowed = api_as(tree.dealer_admin).post("/devices/transfer", body)
    assert allowed.status_code == 200
    assert Device.objects.get(number="F1").customer == tree.dealer
