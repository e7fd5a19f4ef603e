"""The webhooks API (SPEC 12.4): admins only, read only for a sub-customer, 404 outside."""

from __future__ import annotations

import socket

import pytest

from daypass.webhooks.endpoint_secrets import secret_decrypt
from daypass.webhooks.models import Delivery, WebhookEndpoint
from tests.api.conftest import error_of
from tests.webhooks.conftest import emit

ENDPOINT_KEYS = {
    "id",
    "url",
    "events",
    "include_subcustomers",
    "enabled",
    "created_at",
    "disabled_reason",
}
DELIVERY_KEYS = {
    "id",
    "event",
    "type",
    "status",
    "attempts",
    "next_attempt_at",
    "last_status_code",
    "last_error",
    "delivered_at",
}
HOOK = "https://hooks.example.com/daypass"
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """hooks.example.com resolves to a public address; other names as the test machine says."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_ADDRESS, port))]
        if host == "internal.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def create(api, url=HOOK, **body):
    return api.post("/webhooks", {"url": url, **body})


def test_an_admin_creates_an_endpoint_and_sees_its_secret_once(api_as, tree):
    api = api_as(tree.dealer_admin)

    response = create(api, events=["license.expired"], include_subcustomers=True)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ENDPOINT_KEYS | {"secret"}
    assert body["secret"].startswith("whsec_")
    assert body["url"] == HOOK and body["events"] == ["license.expired"]
    assert body["include_subcustomers"] is True and body["enabled"] is True
    assert body["disabled_reason"] is None
    shown = api.get(f"/webhooks/{body['id']}").json()
    assert set(shown) == ENDPOINT_KEYS
    listed = api.get("/webhooks").json()
    assert listed["count"] == 1 and set(listed["items"][0]) == ENDPOINT_KEYS


def test_the_secret_is_stored_encrypted(api_as, tree):
    secret = create(api_as(tree.dealer_admin)).json()["secret"]

    stored = WebhookEndpoint.objects.get().secret_encrypted

    assert secret not in stored and secret[6:] not in stored
    assert secret_decrypt(stored) == secret


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.8/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://internal.example.com/hook",
        "http://hooks.example.com/daypass",
        "https://does-not-resolve.invalid/hook",
    ],
)
def test_private_or_plain_http_urls_are_refused(api_as, tree, url):
    response = create(api_as(tree.dealer_admin), url=url)

    assert response.status_code == 422, response.content
    assert error_of(response)["code"] == "validation_error"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.com/x", "file:///etc/passwd", "hooks.example.com", "javascript:x"]
)
def test_anything_but_http_is_refused_even_when_private_addresses_are_allowed(
    api_as, tree, settings, url
):
    settings.DAYPASS_WEBHOOK_ALLOW_PRIVATE = True

    response = create(api_as(tree.dealer_admin), url=url)

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_allow_private_accepts_http_and_loopback(api_as, tree, settings):
    settings.DAYPASS_WEBHOOK_ALLOW_PRIVATE = True

    response = create(api_as(tree.dealer_admin), url="http://127.0.0.1:9/hook")

    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"url": HOOK, "events": ["no.such.type"]},
        {"url": HOOK, "events": "license.expired"},
        {"url": HOOK, "include_subcustomers": "true"},
        {"url": 5},
        {},
    ],
)
def test_bad_bodies_are_422_and_change_nothing(api_as, tree, body):
    response = api_as(tree.dealer_admin).post("/webhooks", body)

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", ["dealer_operator", "dealer_viewer"])
def test_other_roles_are_forbidden(api_as, tree, role):
    endpoint_id = create(api_as(tree.dealer_admin)).json()["id"]
    api = api_as(getattr(tree, role))

    for response in (
        api.get("/webhooks"),
        api.get(f"/webhooks/{endpoint_id}"),
        api.get(f"/webhooks/{endpoint_id}/deliveries"),
        create(api),
        api.post(f"/webhooks/{endpoint_id}/test"),
    ):
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"


def test_a_superior_admin_reads_a_sub_customers_endpoints_but_changes_nothing(api_as, tree):
    endpoint_id = create(api_as(tree.dealer_admin)).json()["id"]
    superior = api_as(tree.distributor_admin)

    listed = superior.get("/webhooks", {"customer": tree.dealer.number})
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert superior.get(f"/webhooks/{endpoint_id}").status_code == 200
    assert superior.get(f"/webhooks/{endpoint_id}/deliveries").status_code == 200
    assert superior.get("/webhooks").json()["count"] == 0  # its own

    for response in (
        superior.patch(f"/webhooks/{endpoint_id}", {"enabled": False}),
        superior.delete(f"/webhooks/{endpoint_id}"),
        superior.post(f"/webhooks/{endpoint_id}/rotate-secret"),
        superior.post(f"/webhooks/{endpoint_id}/test"),
        superior.post(f"/webhooks?customer={tree.dealer.number}", {"url": HOOK}),
    ):
        assert response.status_code == 403, response.content
        assert error_of(response)["code"] == "forbidden"
    assert WebhookEndpoint.objects.get().enabled is True
    assert WebhookEndpoint.objects.count() == 1


def test_outside_the_subtree_is_404(api_as, tree):
    endpoint_id = create(api_as(tree.dealer_admin)).json()["id"]
    emit(tree.dealer)
    delivery_id = Delivery.objects.get().pk
    stranger = api_as(tree.sibling_admin)
    below = api_as(tree.fleet_admin)

    for api in (stranger, below):
        for response in (
            api.get(f"/webhooks/{endpoint_id}"),
            api.patch(f"/webhooks/{endpoint_id}", {"enabled": False}),
            api.delete(f"/webhooks/{endpoint_id}"),
            api.post(f"/webhooks/{endpoint_id}/rotate-secret"),
            api.post(f"/webhooks/{endpoint_id}/test"),
            api.get(f"/webhooks/{endpoint_id}/deliveries"),
            api.post(f"/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend"),
            api.get("/webhooks", {"customer": tree.dealer.number}),
        ):
            assert response.status_code == 404, response.content
            assert error_of(response)["code"] == "not_found"
    assert api_as(tree.dealer_admin).get("/webhooks/999999").status_code == 404


def test_patch_changes_what_it_names_and_reenabling_clears_the_reason(api_as, tree):
    api = api_as(tree.dealer_admin)
    endpoint_id = create(api).json()["id"]
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        enabled=False, disabled_reason="Every delivery attempt failed for 5 days."
    )

    body = api.patch(
        f"/webhooks/{endpoint_id}",
        {"events": ["device.blacklisted", "device.restored"], "enabled": True},
    ).json()

    assert body["events"] == ["device.blacklisted", "device.restored"]
    assert body["enabled"] is True and body["disabled_reason"] is None
    assert body["url"] == HOOK and body["include_subcustomers"] is False
    refused = api.patch(f"/webhooks/{endpoint_id}", {"url": "https://10.0.0.1/x"})
    assert refused.status_code == 422
    assert api.patch(f"/webhooks/{endpoint_id}", {"enabled": "false"}).status_code == 422
    assert WebhookEndpoint.objects.get().url == HOOK


def test_delete_removes_the_endpoint(api_as, tree):
    api = api_as(tree.dealer_admin)
    endpoint_id = create(api).json()["id"]

    assert api.delete(f"/webhooks/{endpoint_id}").status_code == 204

    assert api.get(f"/webhooks/{endpoint_id}").status_code == 404


def test_rotate_secret_shows_a_new_secret(api_as, tree):
    api = api_as(tree.dealer_admin)
    created = create(api).json()

    rotated = api.post(f"/webhooks/{created['id']}/rotate-secret")

    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created["secret"]
    assert set(rotated.json()) == ENDPOINT_KEYS | {"secret"}


def test_test_queues_a_webhook_test_event(api_as, tree):
    api = api_as(tree.dealer_admin)
    endpoint_id = create(api, events=["license.expired"]).json()["id"]

    response = api.post(f"/webhooks/{endpoint_id}/test")

    assert response.status_code == 202
    event_id = response.json()["event"]
    assert event_id.startswith("evt_")
    [delivery] = api.get(f"/webhooks/{endpoint_id}/deliveries").json()["items"]
    assert set(delivery) == DELIVERY_KEYS
    assert delivery["event"] == event_id and delivery["type"] == "webhook.test"
    assert delivery["status"] == "pending" and delivery["attempts"] == 0


def test_deliveries_filter_by_status_and_resend(api_as, tree):
    api = api_as(tree.dealer_admin)
    endpoint_id = create(api).json()["id"]
    emit(tree.dealer)
    emit(tree.dealer)
    first, second = Delivery.objects.order_by("id")
    Delivery.objects.filter(pk=first.pk).update(status="failed", attempts=8, next_attempt_at=None)

    failed = api.get(f"/webhooks/{endpoint_id}/deliveries", {"status": "failed"}).json()
    pending = api.get(f"/webhooks/{endpoint_id}/deliveries", {"status": "pending"}).json()
    assert [d["id"] for d in failed["items"]] == [first.pk]
    assert [d["id"] for d in pending["items"]] == [second.pk]
    bad = api.get(f"/webhooks/{endpoint_id}/deliveries", {"status": "lost"})
    assert bad.status_code == 422

    resent = api.post(f"/webhooks/{endpoint_id}/deliveries/{first.pk}/resend")

    assert resent.status_code == 202
    assert resent.json()["status"] == "pending" and resent.json()["attempts"] == 8
    assert resent.json()["next_attempt_at"] is not None
    other = create(api).json()["id"]
    wrong_endpoint = api.post(f"/webhooks/{other}/deliveries/{first.pk}/resend")
    assert wrong_endpoint.status_code == 404
