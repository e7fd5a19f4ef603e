"""A busy database and connection reuse, against a real `daypass run` on its own SQLite file.

Issue 12: a writer that held SQLite's lock past the busy timeout made other requests answer 500,
the console answer `SessionInterrupted`, and gunicorn's 2 s keep-alive raced clients reusing
connections. Here another connection holds the write lock for longer than the server waits
(DAYPASS_DB_LOCK_TIMEOUT_SECONDS=1).
"""

from __future__ import annotations

import http.client
import json
import re
import sqlite3
import time
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest

from tests.demo.test_command_run import start_run  # noqa: F401 - the fixture

ADMIN = {"username": "admin", "password": "daypass-demo"}


class Http:
    """One keep-alive connection to the server, with cookies (for the console)."""

    def __init__(self, base: str):
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if isinstance(body, dict):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response, content

    def api(self, method: str, path: str, token: str, body=None, headers=None):
        response, content = self.request(
            method, "/api/v1" + path, body, {"Authorization": f"Bearer {token}", **(headers or {})}
        )
        return response, json.loads(content)


def token_for(http: Http) -> str:
    response, content = http.request("POST", "/api/v1/tokens", ADMIN)
    assert response.status == 201, content
    token = json.loads(content)["token"]
    # The first use of a token records it (a write): do it before the lock is taken.
    assert http.api("GET", "/me", token)[0].status == 200
    return token


@contextmanager
def write_lock_held(data_dir):
    """Another writer holds SQLite's write lock (as a long batch would) until the block ends."""
    holder = sqlite3.connect(data_dir / "daypass.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def busy_server(start_run, data_dir, monkeypatch):  # noqa: F811
    from tests.demo import test_command_run

    original = test_command_run.embedded_env

    def with_short_lock_wait(*args, **extra):
        return original(*args, DAYPASS_DB_LOCK_TIMEOUT_SECONDS="1", **extra)

    monkeypatch.setattr(test_command_run, "embedded_env", with_short_lock_wait)
    _process, base = start_run("--no-demo", "--no-scheduler")
    return base


def test_a_write_that_waits_past_the_lock_timeout_answers_503_busy_and_changes_nothing(
    busy_server, data_dir
):
    http = Http(busy_server)
    token = token_for(http)
    body = {"code": "BUSY-1", "name": "Busy model"}
    key = {"Idempotency-Key": "busy-retry-1"}

    with write_lock_held(data_dir):
        started = time.monotonic()
        refused, error = http.api("POST", "/device-models", token, body, key)
        waited = time.monotonic() - started
        # Reads still work while a writer holds the lock (WAL).
        listed, models = http.api("GET", "/device-models", token)

    assert refused.status == 503
    assert error == {"error": {"code": "busy", "message": error["error"]["message"]}}
    assert "try again" in error["error"]["message"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert 0.9 < waited < 10
    assert listed.status == 200
    assert models["count"] == 0
    # Nothing changed, and the key was not spent on the refusal: the same request now succeeds.
    retried, created = http.api("POST", "/device-models", token, body, key)
    assert retried.status == 201, created
    assert created["code"] == "BUSY-1"
    assert http.api("GET", "/device-models", token)[1]["count"] == 1


def console_login(http: Http):
    response, page = http.request("GET", "/login/")
    assert response.status == 200
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    return http.request(
        "POST",
        "/login/",
        urlencode({**ADMIN, "csrfmiddlewaretoken": csrf}),
        {"Content-Type": "application/x-www-form-urlencoded", "Referer": "http://127.0.0.1/"},
    )


def test_the_console_says_try_again_when_busy_and_a_session_refresh_never_interrupts(
    busy_server, data_dir
):
    signed_in = Http(busy_server)
    response, _ = console_login(signed_in)
    assert response.status == 302
    # The first visit remembers the selected customer in the session (a change).
    assert signed_in.request("GET", "/")[0].status == 200

    late = Http(busy_server)
    with write_lock_held(data_dir):
        # A signed-in page only refreshes the session's expiry: it is served as usual.
        page, content = signed_in.request("GET", "/")
        # Signing in must write (last login, a new session): the "try again" page.
        refused, busy_content = console_login(late)

    assert page.status == 200, content[:300]
    assert b"SessionInterrupted" not in content
    assert refused.status == 503
    assert refused.headers["Retry-After"]
    assert b"try again" in busy_content
    assert b"Traceback" not in busy_content
    # Once the lock is gone, the same sign-in works.
    assert console_login(late)[0].status == 302


def test_a_client_reusing_its_connection_around_the_old_keep_alive_never_meets_a_reset(
    start_run,  # noqa: F811
):
    _process, base = start_run("--no-demo", "--no-scheduler")
    http = Http(base)
    http.request("GET", "/api/v1/health")
    socket_in_use = http.connection.sock

    # gunicorn's default keep-alive was 2 s: a reuse right around it raced the server's close.
    statuses = []
    for idle in (0.5, 1.9, 2.0, 2.1, 2.5, 3.5):
        time.sleep(idle)
        response, _ = http.request("GET", "/api/v1/health")
        statuses.append(response.status)

    assert statuses == [200] * 6
    assert http.connection.sock is socket_in_use  # one connection, never closed by the server
