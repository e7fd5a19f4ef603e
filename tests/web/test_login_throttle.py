"""The console's login form shares the API's throttle on failed logins."""

import pytest

from daypass.core.throttle import LOGIN_FAILURE_LIMIT
from tests import factories


@pytest.mark.django_db
def test_console_login_refuses_even_the_right_password_after_too_many_failures(client, tree):
    username = tree.dealer_admin.username
    for _ in range(LOGIN_FAILURE_LIMIT):
        response = client.post("/login/", {"username": username, "password": "wrong-password"})
        assert "Wrong username or password." in response.content.decode()

    response = client.post("/login/", {"username": username, "password": factories.PASSWORD})

    assert response.status_code == 200
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_console_login_failures_count_towards_the_api_token_throttle(client, tree):
    username = tree.dealer_admin.username
    for _ in range(LOGIN_FAILURE_LIMIT):
        client.post("/login/", {"username": username, "password": "wrong-password"})

    response = client.post(
        "/api/v1/tokens",
        {"username": username, "password": factories.PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"


@pytest.mark.django_db
def test_console_login_with_the_right_password_still_works_below_the_limit(client, tree):
    username = tree.dealer_admin.username
    client.post("/login/", {"username": username, "password": "wrong-password"})

    response = client.post("/login/", {"username": username, "password": factories.PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(tree.dealer_admin.pk)
