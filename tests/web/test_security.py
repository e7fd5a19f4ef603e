"""Headers, caching and error pages (issue 8, items 1 and 9)."""

import re
from pathlib import Path
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

import daypass
from tests.factories import PASSWORD

TEMPLATES = Path(daypass.__file__).parent


def test_the_console_has_no_inline_script():
    inline = []
    for template in TEMPLATES.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                inline.append(f"{template.name}: {tag}")
        for handler in re.findall(r"\son[a-z]+\s*=", text):
            inline.append(f"{template.name}: {handler.strip()}")
        if "javascript:" in text:
            inline.append(f"{template.name}: javascript: URL")
    assert inline == []


def test_console_pages_carry_a_content_security_policy(tree, login):
    response = login(tree.dealer_admin).get(reverse("web:licenses"))

    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";")) if part
    )
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in policy


def test_the_login_page_carries_the_policy_too(db):
    response = Client().get(reverse("web:login"))

    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_signed_in_pages_are_not_stored(tree, login):
    response = login(tree.dealer_admin).get(reverse("web:licenses"))

    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/licenses", "/api/v1/nowhere"])
def test_api_answers_are_not_stored(tree, path):
    from tests.api.conftest import token_of

    response = Client().get(
        path, headers={"Authorization": f"Bearer {token_of(tree.dealer_admin)}"}
    )

    assert "no-store" in response["Cache-Control"]


def test_a_fresh_token_is_not_stored(tree):
    response = Client().post(
        "/api/v1/tokens",
        {"username": tree.dealer_admin.username, "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]


def test_hsts_on_https_in_production(db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000

    response = Client().get(reverse("web:login"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000"


def _looks_like_the_console(response) -> str:
    body = response.content.decode()
    assert "web/daypass.css" in body
    assert "Traceback" not in body and "settings" not in body.lower()
    return body


def test_a_missing_page_looks_like_the_console(tree, login):
    response = login(tree.dealer_admin).get("/no/such/page/")

    assert response.status_code == 404
    assert "Not found" in _looks_like_the_console(response)


def test_a_bad_request_looks_like_the_console(db):
    response = Client().get(reverse("web:login"), headers={"host": "evil.example"})

    assert response.status_code == 400
    assert "Bad request" in _looks_like_the_console(response)


def test_a_csrf_failure_looks_like_the_console(tree):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("web:login"), {"username": tree.dealer_admin.username, "password": PASSWORD}
    )

    assert response.status_code == 403
    assert "The form has expired" in _looks_like_the_console(response)
    assert "_auth_user_id" not in client.session


def test_a_server_error_looks_like_the_console_and_shows_no_traceback(tree, login):
    client = login(tree.dealer_admin)
    client.raise_request_exception = False

    with mock.patch(
        "daypass.web.views.licenses.render_page", side_effect=RuntimeError("secret detail")
    ):
        response = client.get(reverse("web:licenses"))

    assert response.status_code == 500
    body = _looks_like_the_console(response)
    assert "secret detail" not in body


def test_too_many_query_fields_is_a_400_envelope_in_the_api(tree):
    from tests.api.conftest import token_of

    query = "&".join(f"f{i}=1" for i in range(1100))
    response = Client().get(
        f"/api/v1/licenses?{query}",
        headers={"Authorization": f"Bearer {token_of(tree.dealer_admin)}"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_a_long_url_is_an_envelope_not_a_crash(tree):
    from tests.api.conftest import token_of

    response = Client().get(
        "/api/v1/licenses/" + "X" * 3000,
        headers={"Authorization": f"Bearer {token_of(tree.dealer_admin)}"},
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unknown_api_path_with_a_newline_gets_the_envelope(db):
    response = Client().get("/api/v1/nowhere%0Aelse/x")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
