"""Tokens and the role rules of the API (SPEC sections 5 and 9)."""

from datetime import timedelta
from unittest import mock

import pytest

from daypass.core.models import AuditEvent
from daypass.core.throttle import ADDRESS_FAILURE_LIMIT, LOGIN_FAILURE_LIMIT
from daypass.customers.models import ApiToken
from daypass.customers.tokens import token_authenticate, token_create, token_hash, token_revoke
from tests.api.conftest import ApiClient, error_of
from tests.factories import NOW, PASSWORD, make_account


def test_login_returns_a_token_that_works(api_as, tree):
    response = api_as(None).post(
        "/tokens", {"username": tree.dealer_admin.username, "password": PASSWORD}
    )
    assert response.status_code == 201
    token = response.json()["token"]
    assert set(response.json()) == {"token"}
    me = ApiClient(token).get("/me")
    assert me.status_code == 200
    assert me.json()["username"] == tree.dealer_admin.username


def test_token_is_stored_only_as_its_sha256(api_as, tree):
    token = (
        api_as(None)
        .post("/tokens", {"username": tree.dealer_admin.username, "password": PASSWORD})
        .json()["token"]
    )
    stored = ApiToken.objects.get(account=tree.dealer_admin)
    assert stored.key_hash == token_hash(token)
    assert token not in {stored.key_hash, stored.prefix}


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "nobody", "password": PASSWORD},
        {"username": "USERNAME", "password": "wrong-password"},
    ],
)
def test_bad_credentials_are_401(api_as, tree, credentials):
    if credentials["username"] == "USERNAME":
        credentials["username"] = tree.dealer_admin.username
    response = api_as(None).post("/tokens", credentials)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def _login(client, username, password, address):
    return client.client.post(
        "/api/v1/tokens",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_failed_logins_are_throttled_per_username_and_address(api_as, tree):
    client = api_as(None)
    username = tree.dealer_admin.username
    for _ in range(LOGIN_FAILURE_LIMIT):
        assert _login(client, username, "wrong", "10.0.0.1").status_code == 401

    # Even the right password is refused from that address ...
    response = _login(client, username, PASSWORD, "10.0.0.1")
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 300
    # ... but a stranger cannot lock the account out: from another address it signs in.
    assert _login(client, username, PASSWORD, "10.0.0.2").status_code == 201
    # Another username from the first address is not affected either.
    assert _login(client, tree.fleet_admin.username, PASSWORD, "10.0.0.1").status_code == 201


def test_the_platform_admin_cannot_be_locked_out_from_elsewhere(api_as, tree):
    client = api_as(None)
    for _ in range(3 * LOGIN_FAILURE_LIMIT):
        _login(client, tree.platform_admin.username, "wrong", "203.0.113.7")

    assert _login(client, tree.platform_admin.username, PASSWORD, "10.0.0.5").status_code == 201


def test_failed_logins_are_throttled_per_address(api_as, tree):
    client = api_as(None)
    for i in range(ADDRESS_FAILURE_LIMIT):
        _login(client, f"guess{i}", "wrong", "10.0.0.9")

    response = _login(client, tree.dealer_admin.username, PASSWORD, "10.0.0.9")
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert _login(client, tree.dealer_admin.username, PASSWORD, "10.0.0.10").status_code == 201


def test_right_passwords_use_up_no_allowance(api_as, tree):
    client = api_as(None)
    for _ in range(LOGIN_FAILURE_LIMIT + 5):
        assert _login(client, tree.dealer_admin.username, PASSWORD, "10.0.0.3").status_code == 201


def test_the_throttle_ends_with_its_window(api_as, tree):
    client = api_as(None)
    username = tree.dealer_admin.username
    with mock.patch("daypass.core.clock.now", return_value=NOW):
        for _ in range(LOGIN_FAILURE_LIMIT):
            _login(client, username, "wrong", "10.0.0.4")
        assert _login(client, username, PASSWORD, "10.0.0.4").status_code == 429
    with mock.patch("daypass.core.clock.now", return_value=NOW + timedelta(seconds=299)):
        response = _login(client, username, PASSWORD, "10.0.0.4")
        assert response.status_code == 429
        assert response["Retry-After"] == "1"
    with mock.patch("daypass.core.clock.now", return_value=NOW + timedelta(seconds=300)):
        assert _login(client, username, PASSWORD, "10.0.0.4").status_code == 201


def test_failed_logins_are_audited_with_the_address(api_as, tree):
    _login(api_as(None), tree.dealer_admin.username, "wrong", "10.0.0.6")

    event = AuditEvent.objects.get(action="login.failed")
    assert (event.target, event.ip_address) == (tree.dealer_admin.username, "10.0.0.6")


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Token abc"]
)
def test_missing_or_invalid_token_is_401(tree, header):
    client = ApiClient()
    headers = {"Authorization": header} if header else {}
    response = client.get("/licenses", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_revoked_token_is_401(tree):
    token, secret = token_create(account=tree.dealer_admin, name="t", now=NOW)
    token_revoke(actor=tree.dealer_admin, token=token, now=NOW)
    response = ApiClient(secret).get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_token_of_a_deactivated_account_is_401(tree):
    secret = token_create(account=tree.dealer_admin, name="t", now=NOW)[1]
    tree.dealer_admin.is_active = False
    tree.dealer_admin.save()
    assert ApiClient(secret).get("/me").status_code == 401


def test_revoking_another_customers_token_is_not_found(tree):
    token, _secret = token_create(account=tree.sibling_admin, name="t", now=NOW)
    from daypass.core.errors import NotFound

    with pytest.raises(NotFound):
        token_revoke(actor=tree.dealer_admin, token=token, now=NOW)


def test_superior_admin_may_revoke_a_sub_customers_token(tree):
    token, _secret = token_create(account=tree.fleet_admin, name="t", now=NOW)
    revoked = token_revoke(actor=tree.distributor_admin, token=token, now=NOW)
    assert revoked.revoked_at == NOW


def test_last_used_at_is_written_at_most_once_a_minute(tree, django_assert_num_queries):
    # (an admin's token: people's tokens are never remembered, so every call asks the database)
    token, secret = token_create(account=tree.dealer_admin, name="t", now=NOW)
    with django_assert_num_queries(2):  # lookup + first UPDATE
        assert token_authenticate(secret=secret, now=NOW) == tree.dealer_admin
    with django_assert_num_queries(1):  # lookup only
        token_authenticate(secret=secret, now=NOW + timedelta(seconds=59))
    with django_assert_num_queries(2):
        token_authenticate(secret=secret, now=NOW + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == NOW + timedelta(seconds=61)


@pytest.fixture
def gateway(tree):
    return make_account(tree.platform, "gateway")


@pytest.mark.parametrize(
    "method,path",
    [("get", "/me"), ("get", "/licenses"), ("get", "/devices"), ("post", "/licenses/issue")],
)
def test_gateway_token_may_call_only_the_gate(api_as, gateway, method, path):
    client = api_as(gateway)
    response = client.get(path) if method == "get" else client.post(path, {})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_gateway_token_may_call_the_gate(api_as, gateway):
    response = api_as(gateway).post("/gate/reports", {"reports": [{"device": "X"}]})
    assert response.status_code == 200
    assert response.json()["results"][0]["reason"] == "unknown_device"


def test_platform_admin_may_call_the_gate(api_as, tree):
    response = api_as(tree.platform_admin).post("/gate/reports", {"reports": [{"device": "X"}]})
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["dealer_admin", "dealer_operator", "distributor_viewer"])
def test_customer_accounts_may_not_call_the_gate(api_as, tree, role):
    response = api_as(getattr(tree, role)).post("/gate/reports", {"reports": [{"device": "X"}]})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_viewer_may_read(api_as, tree):
    assert api_as(tree.dealer_viewer).get("/licenses").status_code == 200


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("post", "/licenses/X/lock", {}),
        ("post", "/licenses/sell", {"to": "C000001", "cards": ["X"]}),
        ("post", "/devices/transfer", {"devices": ["X"], "to": "C000001"}),
        ("patch", "/customers/C000001/settings", {"allow_superior_manage_licenses": True}),
        ("post", "/customers", {"name": "n", "admin_username": "u", "admin_password": "p"}),
    ],
)
def test_viewer_writes_are_403(api_as, tree, method, path, body):
    response = getattr(api_as(tree.dealer_viewer), method)(path, body)
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_authenticated_account_matches_the_database(tree):
    secret = token_create(account=tree.dealer_operator, name="t", now=NOW)[1]
    account = token_authenticate(secret=secret, now=NOW)
    assert account.pk == tree.dealer_operator.pk
    assert account.username == tree.dealer_operator.username
    assert account.role == "operator"
    assert account.is_active is True
    assert account.customer.number == tree.dealer.number
    assert account.customer.path == tree.dealer.path
    assert account.customer.parent_id == tree.distributor.pk
    assert account.customer.created_at == tree.dealer.created_at
    assert account.email == tree.dealer_operator.email  # deferred, read on access


@pytest.mark.parametrize("role", ["dealer_admin", "dealer_viewer", "gateway"])
def test_a_token_revokes_itself(api_as, tree, gateway, role):
    client = api_as(gateway if role == "gateway" else getattr(tree, role))
    response = client.delete("/tokens/current")
    assert response.status_code == 204
    assert client.get("/me").status_code == 401


def test_gateway_tokens_are_remembered_for_the_ttl(tree, gateway, settings):
    settings.DAYPASS_GATEWAY_TOKEN_CACHE_SECONDS = 10
    token, secret = token_create(account=gateway, name="t", now=NOW)
    assert token_authenticate(secret=secret, now=NOW) is not None
    # Revoked behind the cache's back (another process): still answered within the TTL...
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=NOW)
    assert token_authenticate(secret=secret, now=NOW + timedelta(seconds=9)) is not None
    # ...and refused once it has passed.
    assert token_authenticate(secret=secret, now=NOW + timedelta(seconds=10)) is None


def test_revoking_forgets_a_remembered_gateway_token_at_once(api_as, tree, gateway, settings):
    settings.DAYPASS_GATEWAY_TOKEN_CACHE_SECONDS = 10
    token, secret = token_create(account=gateway, name="t", now=NOW)
    client = ApiClient(secret)
    assert client.post("/gate/reports", {"reports": [{"device": "X"}]}).status_code == 200
    token_revoke(actor=tree.platform_admin, token=token, now=NOW)
    assert client.post("/gate/reports", {"reports": [{"device": "X"}]}).status_code == 401


def test_people_are_never_remembered(tree, settings, django_assert_num_queries):
    settings.DAYPASS_GATEWAY_TOKEN_CACHE_SECONDS = 10
    secret = token_create(account=tree.platform_admin, name="t", now=NOW)[1]
    token_authenticate(secret=secret, now=NOW)
    with django_assert_num_queries(1):
        token_authenticate(secret=secret, now=NOW)
