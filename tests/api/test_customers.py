"""GET /me, customers, settings and accounts."""

import pytest

from daypass.customers.models import Account
from tests.api.conftest import ApiClient, error_of
from tests.factories import PASSWORD

CUSTOMER_KEYS = {
    "number",
    "name",
    "parent",
    "depth",
    "allow_superior_manage_licenses",
    "allow_auto_renew",
}


def test_me_names_the_account_and_its_customer(api_as, tree):
    body = api_as(tree.dealer_operator).get("/me").json()
    assert body == {
        "username": tree.dealer_operator.username,
        "role": "operator",
        "customer": {
            "number": tree.dealer.number,
            "name": "Dealer",
            "parent": tree.distributor.number,
            "depth": 2,
            "allow_superior_manage_licenses": False,
            "allow_auto_renew": False,
        },
    }


def test_platform_has_no_parent(api_as, tree):
    assert api_as(tree.platform_admin).get("/me").json()["customer"]["parent"] is None


def test_customers_lists_the_subtree_self_first(api_as, tree):
    body = api_as(tree.distributor_viewer).get("/customers").json()
    assert body["count"] == 3
    assert [c["number"] for c in body["items"]] == [
        tree.distributor.number,
        tree.dealer.number,
        tree.fleet.number,
    ]
    assert set(body["items"][0]) == CUSTOMER_KEYS


def test_customers_paginate(api_as, tree):
    body = api_as(tree.platform_admin).get("/customers", {"page": 2, "page_size": 2}).json()
    assert body["count"] == 5
    assert len(body["items"]) == 2
    beyond = api_as(tree.platform_admin).get("/customers", {"page": 9, "page_size": 2}).json()
    assert beyond == {"items": [], "count": 5}


def test_customers_of_a_customer_outside_the_subtree_is_404(api_as, tree):
    response = api_as(tree.dealer_admin).get("/customers", {"customer": tree.sibling.number})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_create_sub_customer_with_its_admin(api_as, tree):
    response = api_as(tree.distributor_admin).post(
        "/customers",
        {
            "name": "New dealer",
            "parent": tree.distributor.number,
            "admin_username": "newdealer",
            "admin_password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == CUSTOMER_KEYS
    assert body["parent"] == tree.distributor.number
    assert body["depth"] == 2
    admin = Account.objects.get(username="newdealer")
    assert admin.role == "admin" and admin.customer.number == body["number"]
    login = ApiClient().post("/tokens", {"username": "newdealer", "password": PASSWORD})
    assert login.status_code == 201


def test_create_under_a_sub_customer_by_a_superior_admin(api_as, tree):
    response = api_as(tree.distributor_admin).post(
        "/customers",
        {
            "name": "Fleet 2",
            "parent": tree.dealer.number,
            "admin_username": "fleet2",
            "admin_password": PASSWORD,
        },
    )
    assert response.status_code == 201
    assert response.json()["parent"] == tree.dealer.number


def test_create_under_a_customer_outside_the_subtree_is_404(api_as, tree):
    response = api_as(tree.dealer_admin).post(
        "/customers",
        {
            "name": "x",
            "parent": tree.sibling.number,
            "admin_username": "x1",
            "admin_password": PASSWORD,
        },
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_operator_may_not_create_customers(api_as, tree):
    response = api_as(tree.dealer_operator).post(
        "/customers",
        {"name": "x", "admin_username": "x2", "admin_password": PASSWORD},
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_taken_admin_username_is_422(api_as, tree):
    response = api_as(tree.dealer_admin).post(
        "/customers",
        {"name": "x", "admin_username": tree.fleet_admin.username, "admin_password": PASSWORD},
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_own_admin_switches_superior_management(api_as, tree):
    response = api_as(tree.dealer_admin).patch(
        f"/customers/{tree.dealer.number}/settings", {"allow_superior_manage_licenses": True}
    )
    assert response.status_code == 200
    assert response.json()["allow_superior_manage_licenses"] is True
    tree.dealer.refresh_from_db()
    assert tree.dealer.allow_superior_manage_licenses is True


def test_superior_admin_may_not_switch_a_sub_customers_setting(api_as, tree):
    response = api_as(tree.distributor_admin).patch(
        f"/customers/{tree.dealer.number}/settings", {"allow_superior_manage_licenses": True}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_settings_of_a_customer_outside_the_subtree_is_404(api_as, tree):
    response = api_as(tree.dealer_admin).patch(
        f"/customers/{tree.sibling.number}/settings", {"allow_superior_manage_licenses": True}
    )
    assert response.status_code == 404


def test_own_admin_switches_auto_renew_alone(api_as, tree):
    response = api_as(tree.dealer_admin).patch(
        f"/customers/{tree.dealer.number}/settings", {"allow_auto_renew": True}
    )
    assert response.status_code == 200
    assert response.json()["allow_auto_renew"] is True
    assert response.json()["allow_superior_manage_licenses"] is False
    tree.dealer.refresh_from_db()
    assert (tree.dealer.allow_auto_renew, tree.dealer.allow_superior_manage_licenses) == (
        True,
        False,
    )


def test_own_admin_switches_both_at_once(api_as, tree):
    response = api_as(tree.dealer_admin).patch(
        f"/customers/{tree.dealer.number}/settings",
        {"allow_auto_renew": True, "allow_superior_manage_licenses": True},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["allow_auto_renew"], body["allow_superior_manage_licenses"]) == (True, True)


def test_settings_without_a_switch_is_422(api_as, tree):
    response = api_as(tree.dealer_admin).patch(f"/customers/{tree.dealer.number}/settings", {})
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_superior_admin_may_not_switch_a_sub_customers_auto_renew(api_as, tree):
    response = api_as(tree.distributor_admin).patch(
        f"/customers/{tree.dealer.number}/settings", {"allow_auto_renew": True}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    tree.dealer.refresh_from_db()
    assert tree.dealer.allow_auto_renew is False


@pytest.mark.parametrize(
    "body",
    [
        {"allow_superior_manage_licenses": 0},
        {"allow_superior_manage_licenses": 1},
        {"allow_superior_manage_licenses": "true"},
        {"allow_auto_renew": "false"},
        {"allow_auto_renew": 1},
        {"allow_auto_renew": None},
    ],
)
def test_settings_switches_are_strict_booleans(api_as, tree, body):
    response = api_as(tree.dealer_admin).patch(f"/customers/{tree.dealer.number}/settings", body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    tree.dealer.refresh_from_db()
    assert (tree.dealer.allow_auto_renew, tree.dealer.allow_superior_manage_licenses) == (
        False,
        False,
    )


def test_settings_needs_a_boolean(api_as, tree):
    response = api_as(tree.dealer_admin).patch(
        f"/customers/{tree.dealer.number}/settings", {"allow_superior_manage_licenses": "soon"}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_a_superior_admin_may_not_create_a_sub_customers_account(api_as, tree):
    response = api_as(tree.dealer_admin).post(
        f"/customers/{tree.fleet.number}/accounts",
        {"username": "fleetadmin2", "password": PASSWORD, "role": "admin"},
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert not Account.objects.filter(username="fleetadmin2").exists()


def test_admin_creates_an_account(api_as, tree):
    response = api_as(tree.fleet_admin).post(
        f"/customers/{tree.fleet.number}/accounts",
        {"username": "fleetop", "password": PASSWORD, "role": "operator"},
    )
    assert response.status_code == 201
    assert response.json() == {
        "username": "fleetop",
        "role": "operator",
        "customer": tree.fleet.number,
    }


def test_gateway_accounts_belong_to_the_platform(api_as, tree):
    response = api_as(tree.platform_admin).post(
        f"/customers/{tree.platform.number}/accounts",
        {"username": "gw", "password": PASSWORD, "role": "gateway"},
    )
    assert response.status_code == 201
    refused = api_as(tree.dealer_admin).post(
        f"/customers/{tree.dealer.number}/accounts",
        {"username": "gw2", "password": PASSWORD, "role": "gateway"},
    )
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "validation_error"


def test_unknown_role_is_422(api_as, tree):
    response = api_as(tree.dealer_admin).post(
        f"/customers/{tree.dealer.number}/accounts",
        {"username": "x", "password": PASSWORD, "role": "owner"},
    )
    assert response.status_code == 422


def test_accounts_of_a_customer_outside_the_subtree_is_404(api_as, tree):
    response = api_as(tree.dealer_admin).post(
        f"/customers/{tree.sibling.number}/accounts",
        {"username": "x", "password": PASSWORD, "role": "viewer"},
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_operator_may_not_create_accounts(api_as, tree):
    response = api_as(tree.dealer_operator).post(
        f"/customers/{tree.dealer.number}/accounts",
        {"username": "x", "password": PASSWORD, "role": "viewer"},
    )
    assert response.status_code == 403
