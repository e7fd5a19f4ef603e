"""GET /events, the inbox and the notification settings (SPEC 12.4)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from daypass.events.emit import event_emit
from daypass.events.types import EventType
from daypass.notifications.models import Notification
from tests.api.conftest import error_of
from tests.factories import NOW

DAY = timedelta(days=1)


def emit(type, customer, data=None, at=NOW):
    with transaction.atomic():
        return event_emit(type=type, customer=customer, data=data or {"n": 1}, now=at)


# --- GET /events ------------------------------------------------------------------------------


def test_events_of_the_own_customer_newest_first(api_as, tree):
    older = emit(EventType.LICENSE_EXPIRED, tree.dealer, at=NOW - DAY)
    newer = emit(EventType.DEVICE_RESTORED, tree.dealer, {"device": {"number": "1"}})
    emit(EventType.LICENSE_EXPIRED, tree.fleet)

    body = api_as(tree.dealer_viewer).get("/events").json()

    assert body["count"] == 2
    assert body["items"] == [
        {
            "id": newer.uid,
            "type": "device.restored",
            "timestamp": "2026-11-01T12:00:00Z",
            "customer": tree.dealer.number,
            "data": {"device": {"number": "1"}},
        },
        {
            "id": older.uid,
            "type": "license.expired",
            "timestamp": "2026-10-31T12:00:00Z",
            "customer": tree.dealer.number,
            "data": {"n": 1},
        },
    ]


def test_events_of_a_sub_customer_and_of_the_subtree(api_as, tree):
    emit(EventType.LICENSE_EXPIRED, tree.dealer)
    emit(EventType.LICENSE_EXPIRED, tree.fleet)
    emit(EventType.LICENSE_EXPIRED, tree.sibling)
    api = api_as(tree.distributor_admin)

    assert api.get("/events", {"customer": tree.fleet.number}).json()["count"] == 1
    assert api.get("/events").json()["count"] == 0
    subtree = api.get("/events", {"subtree": "true"}).json()
    assert {e["customer"] for e in subtree["items"]} == {tree.dealer.number, tree.fleet.number}


def test_events_outside_the_subtree_are_404(api_as, tree):
    emit(EventType.LICENSE_EXPIRED, tree.distributor)
    for customer in (tree.distributor.number, tree.sibling.number, "C999999"):
        response = api_as(tree.dealer_admin).get("/events", {"customer": customer})
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_events_filter_by_type_and_dates(api_as, tree):
    emit(EventType.LICENSE_EXPIRED, tree.dealer, at=NOW - 2 * DAY)
    emit(EventType.LICENSE_EXPIRED, tree.dealer)
    emit(EventType.DEVICE_BLACKLISTED, tree.dealer)
    api = api_as(tree.dealer_admin)

    assert api.get("/events", {"type": "license.expired"}).json()["count"] == 2
    dated = api.get("/events", {"type": "license.expired", "date_from": "2026-11-01"}).json()
    assert dated["count"] == 1
    assert api.get("/events", {"date_to": "2026-10-30"}).json()["count"] == 1


def test_events_refuse_bad_filters(api_as, tree):
    api = api_as(tree.dealer_admin)
    for params in (
        {"type": "license.nope"},
        {"date_from": "yesterday"},
        {"subtree": "maybe"},
        {"page_size": 501},
    ):
        response = api.get("/events", params)
        assert response.status_code == 422, params
        assert error_of(response)["code"] == "validation_error"


# --- GET /notifications, POST /notifications/read --------------------------------------------


def test_notifications_of_the_caller(api_as, tree):
    first = emit(EventType.LICENSE_EXPIRED, tree.dealer)
    second = emit(EventType.DEVICE_BLACKLISTED, tree.dealer)
    api = api_as(tree.dealer_viewer)

    body = api.get("/notifications").json()

    assert body["count"] == 2
    assert [item["event"]["id"] for item in body["items"]] == [second.uid, first.uid]
    assert all(set(item) == {"id", "event", "read"} for item in body["items"])
    assert not any(item["read"] for item in body["items"])
    assert api_as(tree.fleet_admin).get("/notifications").json()["count"] == 0


def test_mark_read_by_ids_and_all(api_as, tree):
    for _ in range(3):
        emit(EventType.LICENSE_EXPIRED, tree.dealer)
    api = api_as(tree.dealer_viewer)
    ids = [item["id"] for item in api.get("/notifications").json()["items"]]

    assert api.post("/notifications/read", {"ids": ids[:1]}).json() == {"updated": 1}
    assert api.post("/notifications/read", {"ids": ids[:2]}).json() == {"updated": 1}
    assert api.get("/notifications", {"unread": "true"}).json()["count"] == 1
    assert api.get("/notifications", {"unread": "false"}).json()["count"] == 2
    assert api.post("/notifications/read", {"all": True}).json() == {"updated": 1}
    assert api.get("/notifications", {"unread": "true"}).json()["count"] == 0


def test_mark_read_of_another_accounts_notification_is_404(api_as, tree):
    emit(EventType.LICENSE_EXPIRED, tree.dealer)
    theirs = Notification.objects.get(account=tree.dealer_admin).pk
    mine = Notification.objects.get(account=tree.dealer_viewer).pk

    response = api_as(tree.dealer_viewer).post("/notifications/read", {"ids": [mine, theirs]})

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_mark_read_refuses_bad_bodies(api_as, tree):
    api = api_as(tree.dealer_viewer)
    for body in ({}, {"ids": []}, {"ids": ["1"]}, {"all": "true"}, {"ids": [1], "all": True}):
        response = api.post("/notifications/read", body)
        assert response.status_code == 422, body
        assert error_of(response)["code"] == "validation_error"


# --- GET, PUT /me/notification-settings -----------------------------------------------------


def test_settings_get_and_put_merges(api_as, tree):
    api = api_as(tree.dealer_admin)
    assert api.get("/me/notification-settings").json()["events"]["customer.settings_changed"] == (
        "email"
    )

    response = api.put(
        "/me/notification-settings",
        {"email": "dealer@example.com", "events": {"license.expired": "email"}},
    )
    assert response.status_code == 200
    assert response.json()["email"] == "dealer@example.com"
    assert response.json()["events"]["license.expired"] == "email"

    merged = api.put("/me/notification-settings", {"subtree": True}).json()
    assert merged["email"] == "dealer@example.com"
    assert merged["subtree"] is True
    assert merged["events"]["license.expired"] == "email"
    assert merged == api.get("/me/notification-settings").json()

    assert api.put("/me/notification-settings", {"email": None}).json()["email"] is None


def test_settings_put_refuses_bad_values_and_changes_nothing(api_as, tree):
    api = api_as(tree.dealer_admin)
    before = api.get("/me/notification-settings").json()
    for body in (
        {"events": {"customer.settings_changed": "off"}},
        {"events": {"webhook.test": "inbox"}},
        {"events": {"license.expired": "loud"}},
        {"email": "nope"},
        {"subtree": "true"},
        {"email": "ok@example.com", "events": {"customer.settings_changed": "off"}},
    ):
        response = api.put("/me/notification-settings", body)
        assert response.status_code == 422, body
        assert error_of(response)["code"] == "validation_error"
    assert api.get("/me/notification-settings").json() == before
