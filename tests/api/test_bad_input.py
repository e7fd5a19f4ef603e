"""SPEC 9: dates out of range and text holding NUL are a 422 everywhere; objects named in a
request that the caller cannot see answer 404 naming the first of them in request order, whether
they exist elsewhere or not (issue 8, items 1 and 6)."""

import pytest

from daypass.devices.models import Device
from daypass.licenses.models import License
from tests import factories
from tests.api.conftest import error_of

NUL = "\u0000"


def assert_422(response, *, mentions: str = "") -> None:
    assert response.status_code == 422, response.content[:300]
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert mentions in error["message"]


# --- date filters out of range --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/licenses", "activated_to"),
        ("/licenses", "activated_from"),
        ("/transfers", "date_to"),
        ("/transfers", "date_from"),
        ("/deductions", "date_to"),
        ("/deductions", "date_from"),
    ],
)
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "9999-12-31T23:00:00-05:00"])
def test_a_date_filter_out_of_range_is_a_422_naming_the_field(api_as, tree, path, name, value):
    response = api_as(tree.dealer_admin).get(path, {name: value})

    assert_422(response, mentions=name)
    assert "out of range" in error_of(response)["message"]


def test_a_license_deduction_list_refuses_a_date_out_of_range(api_as, tree):
    factories.make_license(customer=tree.dealer, card="D0001")

    response = api_as(tree.dealer_admin).get(
        "/licenses/D0001/deductions", {"date_to": "9999-12-31"}
    )

    assert_422(response, mentions="date_to")


def test_the_last_dates_in_range_still_filter(api_as, tree):
    factories.make_license(customer=tree.dealer, card="D0001")
    client = api_as(tree.dealer_admin)

    assert client.get("/licenses", {"activated_to": "9999-12-30"}).status_code == 200
    assert client.get("/transfers", {"date_from": "0001-01-02"}).status_code == 200


# --- NUL ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/licenses",
        "/licenses/stats",
        "/licenses/summary",
        "/devices",
        "/transfers",
        "/deductions",
        "/customers",
    ],
)
def test_a_customer_parameter_holding_nul_is_a_422(api_as, tree, path):
    assert_422(api_as(tree.dealer_admin).get(path, {"customer": NUL}), mentions="NUL")


@pytest.mark.parametrize("name", ["card", "type", "device", "status", "locked", "days_min"])
def test_a_filter_holding_nul_is_a_422(api_as, tree, name):
    assert_422(api_as(tree.dealer_admin).get("/licenses", {name: f"A{NUL}"}))


def test_a_path_parameter_holding_nul_is_a_422(api_as, tree):
    client = api_as(tree.dealer_admin)

    assert_422(client.get("/licenses/%00"))
    assert_422(client.post("/licenses/%00/lock"))
    assert_422(client.patch("/customers/%00/settings", {"allow_superior_manage_licenses": True}))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/licenses/sell", {"to": "C1", "cards": [f"D0001{NUL}"]}),
        ("/licenses/sell", {"to": f"C{NUL}", "cards": ["D0001"]}),
        ("/licenses/return", {"cards": [NUL]}),
        ("/devices/transfer", {"devices": [f"86{NUL}"], "to": "C1"}),
        ("/licenses/D0001/bind", {"device": f"86{NUL}"}),
        ("/customers", {"name": f"A{NUL}B", "admin_username": "x1", "admin_password": "pw-x-123!"}),
    ],
)
def test_a_body_holding_nul_is_a_422_and_changes_nothing(api_as, tree, path, body):
    lic = factories.make_license(customer=tree.dealer, card="D0001")

    response = api_as(tree.dealer_admin).post(path, body)

    assert_422(response, mentions="NUL")
    lic.refresh_from_db()
    assert lic.customer_id == tree.dealer.pk and lic.device_id is None


# --- no existence oracle --------------------------------------------------------------------


@pytest.fixture
def cards(tree):
    """The dealer's own card, and the sibling's card the dealer cannot see."""
    own = factories.make_license(customer=tree.dealer, card="D0001")
    foreign = factories.make_license(customer=tree.sibling, card="S0001")
    return own, foreign


@pytest.mark.parametrize(
    ("named", "first_invisible"),
    [
        (["D0001", "S0001", "DP9999999998"], "S0001"),
        (["D0001", "DP9999999998", "S0001"], "DP9999999998"),
        (["S0001", "DP9999999998"], "S0001"),
    ],
)
def test_a_sale_names_the_first_invisible_card_in_request_order(
    api_as, tree, cards, named, first_invisible
):
    response = api_as(tree.dealer_admin).post(
        "/licenses/sell", {"to": tree.fleet.number, "cards": named}
    )

    assert response.status_code == 404
    assert error_of(response)["message"] == f"License {first_invisible} not found."
    assert License.objects.get(card="D0001").customer_id == tree.dealer.pk


@pytest.mark.parametrize(
    ("named", "first_invisible"),
    [
        (["D0001", "S0001", "DP9999999998"], "S0001"),
        (["DP9999999998", "S0001"], "DP9999999998"),
    ],
)
def test_a_return_names_the_first_invisible_card_in_request_order(
    api_as, tree, cards, named, first_invisible
):
    response = api_as(tree.dealer_admin).post("/licenses/return", {"cards": named})

    assert response.status_code == 404
    assert error_of(response)["message"] == f"License {first_invisible} not found."


def test_a_sale_to_a_sibling_answers_like_a_sale_to_nobody(api_as, tree, cards):
    client = api_as(tree.dealer_admin)

    to_sibling = client.post("/licenses/sell", {"to": tree.sibling.number, "cards": ["D0001"]})
    to_nobody = client.post("/licenses/sell", {"to": "C999999", "cards": ["D0001"]})

    assert to_sibling.status_code == to_nobody.status_code == 404
    assert error_of(to_sibling)["message"] == f"Customer {tree.sibling.number} not found."
    assert error_of(to_nobody)["message"] == "Customer C999999 not found."


@pytest.mark.parametrize(
    ("named", "first_invisible"),
    [
        (["860000000000001", "869999999999999", "860000000000009"], "869999999999999"),
        (["860000000000001", "860000000000009", "869999999999999"], "860000000000009"),
    ],
)
def test_a_device_transfer_names_the_first_invisible_device_in_request_order(
    api_as, tree, named, first_invisible
):
    factories.make_device(customer=tree.dealer, number="860000000000001")
    factories.make_device(customer=tree.sibling, number="869999999999999")

    response = api_as(tree.dealer_admin).post(
        "/devices/transfer", {"devices": named, "to": tree.fleet.number}
    )

    assert response.status_code == 404
    assert error_of(response)["message"] == f"Device {first_invisible} not found."
    assert Device.objects.get(number="860000000000001").customer_id == tree.dealer.pk


def test_binding_to_a_sibling_device_answers_like_a_missing_one(api_as, tree):
    model = factories.make_device_model("MX")
    license_type = factories.make_license_type(code="T-1", models=[model])
    factories.make_license(customer=tree.dealer, card="D0001", type=license_type)
    factories.make_device(customer=tree.sibling, number="869999999999999", model=model)
    client = api_as(tree.dealer_admin)

    foreign = client.post("/licenses/D0001/bind", {"device": "869999999999999"})
    missing = client.post("/licenses/D0001/bind", {"device": "869999999999998"})

    assert foreign.status_code == missing.status_code == 404
    assert error_of(foreign)["message"] == "Device 869999999999999 not found."
    assert error_of(missing)["message"] == "Device 869999999999998 not found."
