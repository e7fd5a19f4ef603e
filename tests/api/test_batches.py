"""The batch endpoints of SPEC 13: top up many, bind a batch, import devices — all or nothing."""

import pytest

from daypass.core.models import AuditEvent
from daypass.devices.models import Device
from daypass.licenses.models import License, TopUp, Transfer
from tests.api.conftest import error_of
from tests.factories import NOW, make_device, make_device_model, make_license, make_license_type
from tests.licenses.conftest import database_state


@pytest.fixture
def catalogue(db):
    model = make_device_model("MX-C6")
    other_model = make_device_model("MX-Z")
    license_type = make_license_type(code="ADAS-365", days=365, models=[model])
    return model, other_model, license_type


def device_state() -> list[dict]:
    return list(Device.objects.order_by("pk").values())


# --- POST /licenses/top-up --------------------------------------------------------------------


def test_top_up_many_adds_days_writes_the_ledger_and_lifts_blacklists(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    device = make_device(
        customer=tree.fleet,
        model=model,
        number="BL1",
        blacklisted=True,
        blacklisted_at=NOW,
        blacklist_reason="no_valid_license",
    )
    make_license(customer=tree.dealer, type=license_type, card="A2", available_days=0)
    make_license(
        customer=tree.fleet,
        type=license_type,
        card="A1",
        available_days=0,
        device=device,
        bound_at=NOW,
    )

    response = api_as(tree.platform_admin).post(
        "/licenses/top-up", {"cards": ["A2", "A1"], "days": 30}
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"cards": ["A1", "A2"]}
    for card in ("A1", "A2"):
        lic = License.objects.get(card=card)
        assert (lic.total_days, lic.available_days) == (395, 30)
        assert list(TopUp.objects.filter(license=lic).values_list("days", flat=True)) == [30]
    device.refresh_from_db()
    assert device.blacklisted is False
    assert AuditEvent.objects.filter(action="device.blacklist_clear", target="BL1").count() == 1
    (event,) = AuditEvent.objects.filter(action="license.top_up")
    assert event.details["count"] == 2
    assert event.details["cards"] == ["A1", "A2"]


def test_top_up_many_is_the_platform_admins(api_as, tree, catalogue):
    make_license(customer=tree.dealer, type=catalogue[2], card="A1")
    client = api_as(tree.dealer_admin)
    before = database_state()

    response = client.post("/licenses/top-up", {"cards": ["A1"], "days": 5})

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert database_state() == before


def test_top_up_many_with_one_unknown_card_changes_nothing(api_as, tree, catalogue):
    make_license(customer=tree.dealer, type=catalogue[2], card="A1")
    client = api_as(tree.platform_admin)
    before = database_state()

    response = client.post("/licenses/top-up", {"cards": ["A1", "NOPE"], "days": 5})

    assert response.status_code == 404
    assert "NOPE" in error_of(response)["message"]
    assert database_state() == before


@pytest.mark.parametrize(
    "body",
    [
        {"cards": ["A1"], "days": 0},
        {"cards": ["A1"], "days": 36_501},
        {"cards": [], "days": 5},
        {"cards": [f"C{i}" for i in range(10_001)], "days": 5},
    ],
)
def test_top_up_many_refuses_bad_input(api_as, tree, catalogue, body):
    make_license(customer=tree.dealer, type=catalogue[2], card="A1")
    client = api_as(tree.platform_admin)
    before = database_state()

    response = client.post("/licenses/top-up", body)

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    assert database_state() == before


# --- POST /licenses/bind-batch ----------------------------------------------------------------


def test_bind_batch_binds_cards_and_picks_the_oldest_eligible_card_of_a_type(
    api_as, tree, catalogue
):
    model, _other, license_type = catalogue
    make_device(customer=tree.dealer, model=model, number="D1")
    make_device(customer=tree.fleet, model=model, number="F1")
    make_device(customer=tree.fleet, model=model, number="F2")
    make_license(customer=tree.dealer, type=license_type, card="L1")
    make_license(customer=tree.dealer, type=license_type, card="L2", locked=True)
    make_license(customer=tree.dealer, type=license_type, card="L3", available_days=0)
    make_license(customer=tree.dealer, type=license_type, card="L4")
    make_license(customer=tree.dealer, type=license_type, card="L5")
    make_license(customer=tree.dealer, type=license_type, card="L9")

    response = api_as(tree.dealer_operator).post(
        "/licenses/bind-batch",
        {
            "items": [
                {"device": "D1", "card": "L9"},
                {"device": "F1", "type": "ADAS-365"},
                {"device": "F2", "type": "ADAS-365"},
            ]
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["items"] == [
        {"device": "D1", "card": "L9"},
        {"device": "F1", "card": "L1"},  # L2 is locked, L3 expired
        {"device": "F2", "card": "L4"},
    ]
    bound = {lic.card: lic for lic in License.objects.select_related("device", "customer")}
    assert bound["L9"].device.number == "D1"
    assert bound["L9"].customer == tree.dealer
    assert (bound["L1"].device.number, bound["L1"].customer) == ("F1", tree.fleet)
    assert bound["L1"].bound_at == bound["L4"].bound_at
    assert bound["L5"].device is None
    # The licenses that followed their device to the fleet: one `bind` transfer each, one batch.
    transfers = Transfer.objects.order_by("license__card")
    assert [(t.license.card, t.method, str(t.batch)) for t in transfers] == [
        ("L1", "bind", body["batch"]),
        ("L4", "bind", body["batch"]),
    ]
    assert AuditEvent.objects.filter(action="license.bind").count() == 3


def test_bind_batch_is_all_or_nothing_and_names_the_bad_item(api_as, tree, catalogue):
    model, other_model, license_type = catalogue
    make_device(customer=tree.dealer, model=model, number="D1")
    make_device(customer=tree.dealer, model=other_model, number="Z1")
    make_license(customer=tree.dealer, type=license_type, card="L1")
    make_license(customer=tree.dealer, type=license_type, card="L2")
    client = api_as(tree.dealer_admin)
    before = database_state()

    response = client.post(
        "/licenses/bind-batch",
        {"items": [{"device": "D1", "card": "L1"}, {"device": "Z1", "card": "L2"}]},
    )

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "model_mismatch"
    assert error["message"].startswith("Item 2:")
    assert database_state() == before


def test_bind_batch_without_enough_eligible_cards_is_insufficient_quantity(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    make_device(customer=tree.dealer, model=model, number="D1")
    make_device(customer=tree.dealer, model=model, number="D2")
    make_license(customer=tree.dealer, type=license_type, card="L1")
    client = api_as(tree.dealer_admin)
    before = database_state()

    response = client.post(
        "/licenses/bind-batch",
        {"items": [{"device": "D1", "type": "ADAS-365"}, {"device": "D2", "type": "ADAS-365"}]},
    )

    assert response.status_code == 409
    assert error_of(response)["code"] == "insufficient_quantity"
    assert database_state() == before


def test_bind_batch_answers_404_for_a_device_outside_the_subtree(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    make_device(customer=tree.sibling, model=model, number="S1")
    make_license(customer=tree.dealer, type=license_type, card="L1")
    client = api_as(tree.dealer_admin)
    before = database_state()

    response = client.post("/licenses/bind-batch", {"items": [{"device": "S1", "card": "L1"}]})

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert database_state() == before


@pytest.mark.parametrize(
    "item",
    [
        {"device": "D1"},
        {"device": "D1", "card": "L1", "type": "ADAS-365"},
        {"device": "D1", "card": 5},
    ],
)
def test_bind_batch_items_name_a_card_or_a_type(api_as, tree, catalogue, item):
    make_device(customer=tree.dealer, model=catalogue[0], number="D1")
    make_license(customer=tree.dealer, type=catalogue[2], card="L1")

    response = api_as(tree.dealer_admin).post("/licenses/bind-batch", {"items": [item]})

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    assert not License.objects.filter(device__isnull=False).exists()


def test_bind_batch_lifts_the_blacklist_as_a_single_bind_does(api_as, tree, catalogue):
    model, _other, license_type = catalogue
    device = make_device(
        customer=tree.dealer,
        model=model,
        number="D1",
        blacklisted=True,
        blacklisted_at=NOW,
        blacklist_reason="no_valid_license",
    )
    make_license(customer=tree.dealer, type=license_type, card="L1")

    response = api_as(tree.dealer_admin).post(
        "/licenses/bind-batch", {"items": [{"device": "D1", "card": "L1"}]}
    )

    assert response.status_code == 200
    device.refresh_from_db()
    assert device.blacklisted is False


# --- POST /devices/import ---------------------------------------------------------------------


def test_import_registers_every_device(api_as, tree, catalogue):
    rows = [
        {"number": "IMP-1", "model": "MX-C6", "customer": tree.dealer.number},
        {"number": "IMP-2", "model": "MX-Z", "customer": tree.fleet.number},
    ]

    response = api_as(tree.platform_admin).post("/devices/import", {"devices": rows})

    assert response.status_code == 201, response.content
    assert response.json() == {"count": 2}
    devices = {d.number: d for d in Device.objects.select_related("model", "customer")}
    assert devices["IMP-1"].customer == tree.dealer
    assert devices["IMP-2"].model.code == "MX-Z"
    (event,) = AuditEvent.objects.filter(action="device.import")
    assert event.details["count"] == 2


def test_import_with_bad_rows_answers_every_bad_row_and_writes_nothing(api_as, tree, catalogue):
    make_device(customer=tree.dealer, model=catalogue[0], number="OLD-1")
    before = device_state()
    rows = [
        {"number": "NEW-1", "model": "MX-C6", "customer": tree.dealer.number},
        {"number": "OLD-1", "model": "MX-C6", "customer": tree.dealer.number},
        {"number": "NEW-2", "model": "NOPE", "customer": tree.dealer.number},
        {"number": "NEW-1", "model": "MX-C6", "customer": tree.fleet.number},
        {"number": "NEW-3", "model": "MX-C6", "customer": "C999999"},
        {"number": "  ", "model": "MX-C6", "customer": tree.dealer.number},
    ]

    response = api_as(tree.platform_admin).post("/devices/import", {"devices": rows})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [(r["row"], r["code"]) for r in error["rows"]] == [
        (2, "validation_error"),
        (3, "not_found"),
        (4, "validation_error"),
        (5, "not_found"),
        (6, "validation_error"),
    ]
    assert "already exists" in error["rows"][0]["message"]
    assert "row 1" in error["rows"][2]["message"]
    assert all(r["message"] for r in error["rows"])
    assert device_state() == before


def test_import_is_the_platform_admins(api_as, tree, catalogue):
    rows = [{"number": "IMP-1", "model": "MX-C6", "customer": tree.dealer.number}]

    response = api_as(tree.dealer_admin).post("/devices/import", {"devices": rows})

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    "devices",
    [[], [{"number": "X", "model": "MX-C6"}], [{"number": 5, "model": "MX-C6", "customer": "C"}]],
)
def test_import_refuses_a_malformed_body(api_as, tree, catalogue, devices):
    response = api_as(tree.platform_admin).post("/devices/import", {"devices": devices})

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    assert not Device.objects.exists()
