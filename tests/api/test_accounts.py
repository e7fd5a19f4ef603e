"""The accounts API of SPEC 13: list, change, set a password, change one's own."""

import pytest

from daypass.customers.models import Account
from tests.api.conftest import ApiClient, error_of, token_of
from tests.factories import PASSWORD

ACCOUNT_KEYS = {"username", "role", "customer", "email", "active", "last_login"}


def test_an_own_admin_lists_the_accounts(api_as, tree):
    body = api_as(tree.dealer_admin).get(f"/customers/{tree.dealer.number}/accounts").json()

    assert body["count"] == 3
    assert {item["username"] for item in body["items"]} == {
        tree.dealer_admin.username,
        tree.dealer_operator.username,
        tree.dealer_viewer.username,
    }
    item = body["items"][0]
    assert set(item) == ACCOUNT_KEYS
    assert (item["customer"], item["active"], item["email"]) == (tree.dealer.number, True, "")


def test_a_superior_lists_a_sub_customers_accounts_read_only(api_as, tree):
    client = api_as(tree.distributor_viewer)

    listed = client.get(f"/customers/{tree.fleet.number}/accounts")

    assert listed.status_code == 200
    assert [item["username"] for item in listed.json()["items"]] == [tree.fleet_admin.username]


def test_accounts_outside_the_subtree_are_404(api_as, tree):
    response = api_as(tree.dealer_admin).get(f"/customers/{tree.sibling.number}/accounts")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_own_admin_changes_an_account(api_as, tree):
    response = api_as(tree.dealer_admin).patch(
        f"/customers/{tree.dealer.number}/accounts/{tree.dealer_viewer.username}",
        {"role": "operator", "email": "v@example.com"},
    )

    assert response.status_code == 200
    assert response.json() | {"last_login": None} == {
        "username": tree.dealer_viewer.username,
        "role": "operator",
        "customer": tree.dealer.number,
        "email": "v@example.com",
        "active": True,
        "last_login": None,
    }


def test_a_superior_may_not_change_a_sub_customers_account(api_as, tree):
    response = api_as(tree.distributor_admin).patch(
        f"/customers/{tree.fleet.number}/accounts/{tree.fleet_admin.username}", {"active": False}
    )

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert Account.objects.get(pk=tree.fleet_admin.pk).is_active


def test_an_unknown_account_is_404(api_as, tree):
    response = api_as(tree.dealer_admin).patch(
        f"/customers/{tree.dealer.number}/accounts/{tree.fleet_admin.username}", {"active": False}
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    "body", [{"active": "false"}, {"active": 0}, {"role": "owner"}, {"email": 5}, {"role": None}]
)
def test_account_changes_are_strictly_typed(api_as, tree, body):
    response = api_as(tree.dealer_admin).patch(
        f"/customers/{tree.dealer.number}/accounts/{tree.dealer_viewer.username}", body
    )

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_a_deactivated_account_cannot_sign_in_and_its_tokens_stop(api_as, tree):
    operator = ApiClient(token_of(tree.dealer_operator))
    assert operator.get("/me").status_code == 200

    api_as(tree.dealer_admin).patch(
        f"/customers/{tree.dealer.number}/accounts/{tree.dealer_operator.username}",
        {"active": False},
    )

    refused = operator.get("/me")
    assert refused.status_code == 401
    assert error_of(refused)["code"] == "unauthenticated"
    login = ApiClient().post(
        "/tokens", {"username": tree.dealer_operator.username, "password": PASSWORD}
    )
    assert login.status_code == 401
    assert error_of(login)["code"] == "unauthenticated"


def test_an_own_admin_sets_a_password(api_as, tree):
    response = api_as(tree.dealer_admin).post(
        f"/customers/{tree.dealer.number}/accounts/{tree.dealer_viewer.username}/password",
        {"password": "brand-new-secret"},
    )

    assert response.status_code == 204
    assert Account.objects.get(pk=tree.dealer_viewer.pk).check_password("brand-new-secret")


@pytest.mark.parametrize("password", ["password", "12345678", "short", "        "])
def test_a_weak_password_is_422(api_as, tree, password):
    response = api_as(tree.dealer_admin).post(
        f"/customers/{tree.dealer.number}/accounts/{tree.dealer_viewer.username}/password",
        {"password": password},
    )

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_a_weak_password_is_explained_in_english_whatever_the_language(api_as, tree):
    response = api_as(tree.dealer_admin).post(
        f"/customers/{tree.dealer.number}/accounts/{tree.dealer_viewer.username}/password",
        {"password": "12345678"},
        headers={"Accept-Language": "zh-hans"},
    )

    assert response.status_code == 422
    assert "too common" in error_of(response)["message"]


def test_a_superior_may_not_set_a_sub_customers_password(api_as, tree):
    response = api_as(tree.distributor_admin).post(
        f"/customers/{tree.dealer.number}/accounts/{tree.dealer_admin.username}/password",
        {"password": "brand-new-secret"},
    )

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_anyone_changes_their_own_password(api_as, tree):
    response = api_as(tree.dealer_viewer).post(
        "/me/password", {"current_password": PASSWORD, "password": "my-own-secret-9"}
    )

    assert response.status_code == 204
    assert Account.objects.get(pk=tree.dealer_viewer.pk).check_password("my-own-secret-9")


def test_a_wrong_current_password_is_422(api_as, tree):
    response = api_as(tree.dealer_viewer).post(
        "/me/password", {"current_password": "not-it-at-all", "password": "my-own-secret-9"}
    )

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    assert Account.objects.get(pk=tree.dealer_viewer.pk).check_password(PASSWORD)


def test_a_token_may_expire(api_as, tree):
    response = ApiClient().post(
        "/tokens",
        {"username": tree.dealer_viewer.username, "password": PASSWORD, "expires_in_days": 30},
    )

    assert response.status_code == 201
    token = tree.dealer_viewer.api_tokens.get()
    assert (token.expires_at - token.created_at).days == 30


@pytest.mark.parametrize("days", [0, 3651, "30", True])
def test_a_token_expiry_is_1_to_3650_days(api_as, tree, days):
    response = ApiClient().post(
        "/tokens",
        {"username": tree.dealer_viewer.username, "password": PASSWORD, "expires_in_days": days},
    )

    assert response.status_code == 422
    assert not tree.dealer_viewer.api_tokens.exists()
