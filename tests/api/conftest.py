"""Fixtures for API tests: a JSON client with a bearer token for any account."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from daypass.customers.tokens import token_create
from tests.factories import NOW


@pytest.fixture(autouse=True)
def api_only_urls(settings):
    settings.ROOT_URLCONF = "tests.api.urls"


class ApiClient:
    """Django's test client speaking JSON under /api/v1, with an optional bearer token."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = dict(headers or {})
        if self.token is not None:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any):
        return self.client.get(
            f"/api/v1{path}", params or {}, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str] | None):
        data = (
            body if isinstance(body, (bytes, str)) else json.dumps(body if body is not None else {})
        )
        return getattr(self.client, method)(
            f"/api/v1{path}",
            data=data,
            content_type="application/json",
            headers=self._headers(headers),
        )

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self._send("post", path, body, headers)

    def patch(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self._send("patch", path, body, headers)

    def put(self, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self._send("put", path, body, headers)

    def delete(self, path: str, headers: dict[str, str] | None = None):
        return self.client.delete(f"/api/v1{path}", headers=self._headers(headers))


def token_of(account) -> str:
    return token_create(account=account, name="test", now=NOW)[1]


@pytest.fixture
def api_as(db):
    """`api_as(account)` → an ApiClient authenticated as that account; `api_as(None)` → none."""

    def make(account=None) -> ApiClient:
        return ApiClient(token_of(account) if account is not None else None)

    return make


def error_of(response) -> dict:
    """The error envelope of a response, checking it is exactly {"error": {"code", "message"}}."""
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    return body["error"]
