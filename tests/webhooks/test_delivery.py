"""Deliveries against a real HTTP server on 127.0.0.1 that verifies each one with the
`standardwebhooks` library (SPEC 12.3). The clock is advanced by passing `now`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from daypass.events.models import Event
from daypass.webhooks.models import Delivery, WebhookEndpoint
from daypass.webhooks.outbox import deliveries_send_due
from daypass.webhooks.services import delivery_resend, endpoint_secret_rotate, endpoint_test
from tests.factories import NOW
from tests.webhooks.conftest import emit, make_endpoint
from tests.webhooks.receiver import Answer

SECOND = timedelta(seconds=1)


def test_a_delivery_is_a_signed_post_of_the_event_that_the_library_verifies(tree, receiver):
    make_endpoint(tree.dealer_admin, receiver)
    event = emit(tree.dealer, "device.blacklisted", {"device": {"number": "86"}, "reason": "x"})

    result = deliveries_send_due(now=NOW)

    assert (result.claimed, result.delivered) == (1, 1)
    [request] = receiver.received
    assert request.verified_by == receiver.secrets
    assert request.id == event.uid
    assert request.headers["content-type"] == "application/json"
    assert abs(int(request.headers["webhook-timestamp"]) - __import__("time").time()) < 30
    assert request.event == {
        "id": event.uid,
        "type": "device.blacklisted",
        "timestamp": "2026-11-01T12:00:00Z",
        "customer": tree.dealer.number,
        "data": {"device": {"number": "86"}, "reason": "x"},
    }
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at == NOW and delivery.next_attempt_at is None


def test_a_500_is_retried_after_5_seconds_with_the_same_webhook_id(tree, receiver):
    make_endpoint(tree.dealer_admin, receiver)
    event = emit(tree.dealer)
    receiver.answers = [Answer(status=500, body=b"boom")]

    deliveries_send_due(now=NOW)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_response_body == "boom"
    assert NOW + 4.5 * SECOND <= delivery.next_attempt_at <= NOW + 5.5 * SECOND
    assert deliveries_send_due(now=NOW + 4 * SECOND).claimed == 0

    deliveries_send_due(now=NOW + 6 * SECOND)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [r.id for r in receiver.received] == [event.uid, event.uid]
    assert all(r.verified_by for r in receiver.received)


def test_no_answer_within_the_timeout_is_a_failed_attempt_retried_later(tree, receiver):
    make_endpoint(tree.dealer_admin, receiver)
    emit(tree.dealer)
    receiver.answers = [Answer(status=200, delay=2.0)]  # the tests' timeout is 1 s

    deliveries_send_due(now=NOW)

    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status_code is None
    assert "no answer within 1 s" in delivery.last_error
    deliveries_send_due(now=NOW + 10 * SECOND)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_retries_follow_the_schedule_and_the_eighth_failure_is_final(tree, receiver):
    make_endpoint(tree.dealer_admin, receiver)
    emit(tree.dealer)
    receiver.default = Answer(status=503)
    schedule = [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
    ]
    now = NOW
    deliveries_send_due(now=now)
    for attempt, delay in enumerate(schedule, start=1):
        delivery = Delivery.objects.get()
        assert delivery.attempts == attempt and delivery.status == "pending"
        waited = delivery.next_attempt_at - now
        assert delay * 0.9 <= waited <= delay * 1.1, (attempt, waited)
        now = delivery.next_attempt_at
        deliveries_send_due(now=now)

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 8, None)
    assert len(receiver.received) == 8
    assert deliveries_send_due(now=now + timedelta(days=30)).claimed == 0


def test_redirects_are_not_followed(tree, receiver):
    make_endpoint(tree.dealer_admin, receiver)
    emit(tree.dealer)
    receiver.answers = [Answer(status=302, headers={"Location": receiver.url + "/elsewhere"})]

    deliveries_send_due(now=NOW)

    assert [r.path for r in receiver.received] == ["/hook"]
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error


def test_only_the_first_kilobyte_of_an_answer_is_kept(tree, receiver):
    make_endpoint(tree.dealer_admin, receiver)
    emit(tree.dealer)
    emit(tree.dealer)
    receiver.default = Answer(status=200, body=b"a" * 5000)

    result = deliveries_send_due(now=NOW)

    assert result.delivered == 2
    assert {len(d.last_response_body) for d in Delivery.objects.all()} == {1024}


def test_after_a_rotation_both_secrets_sign_for_24_hours(tree, receiver):
    endpoint = make_endpoint(tree.dealer_admin, receiver)
    [old_secret] = receiver.secrets
    _, new_secret = endpoint_secret_rotate(actor=tree.dealer_admin, endpoint=endpoint, now=NOW)
    receiver.secrets.append(new_secret)
    assert new_secret.startswith("whsec_") and new_secret != old_secret

    emit(tree.dealer, now=NOW + timedelta(hours=23))
    deliveries_send_due(now=NOW + timedelta(hours=23))
    emit(tree.dealer, now=NOW + timedelta(hours=25))
    deliveries_send_due(now=NOW + timedelta(hours=25))

    within, after = receiver.received
    assert len(within.signatures) == 2
    assert within.verified_by == [old_secret, new_secret]
    assert len(after.signatures) == 1
    assert after.verified_by == [new_secret]


def test_a_resend_sends_the_same_delivery_again_and_keeps_counting(tree, receiver):
    make_endpoint(tree.dealer_admin, receiver)
    event = emit(tree.dealer)
    deliveries_send_due(now=NOW)
    delivery = Delivery.objects.get()

    delivery = delivery_resend(actor=tree.dealer_admin, delivery=delivery, now=NOW + 60 * SECOND)
    assert (delivery.status, delivery.next_attempt_at) == ("pending", NOW + 60 * SECOND)
    deliveries_send_due(now=NOW + 60 * SECOND)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert Delivery.objects.count() == 1
    assert [r.id for r in receiver.received] == [event.uid, event.uid]
    assert all(r.verified_by for r in receiver.received)


def test_webhook_test_reaches_only_its_endpoint_whatever_the_filter(tree, receiver):
    tested = make_endpoint(tree.dealer_admin, receiver, events=["license.expired"])
    make_endpoint(tree.dealer_admin, receiver)  # every type, same customer
    make_endpoint(tree.distributor_admin, receiver, include_subcustomers=True)

    event = endpoint_test(actor=tree.dealer_admin, endpoint=tested, now=NOW)
    deliveries_send_due(now=NOW)

    [request] = receiver.received
    assert request.id == event.uid and request.verified_by
    assert request.event["type"] == "webhook.test" and request.event["data"] == {}
    assert Delivery.objects.get().endpoint == tested


def test_events_go_to_the_owner_and_to_superiors_that_include_subcustomers(tree, receiver):
    own = make_endpoint(tree.fleet_admin, receiver)
    dealer_all = make_endpoint(tree.dealer_admin, receiver, include_subcustomers=True)
    make_endpoint(tree.distributor_admin, receiver)  # own events only
    platform_filtered = make_endpoint(
        tree.platform_admin, receiver, include_subcustomers=True, events=["device.blacklisted"]
    )
    make_endpoint(tree.sibling_admin, receiver, include_subcustomers=True)

    expired = emit(tree.fleet, "license.expired")
    blacklisted = emit(tree.fleet, "device.blacklisted")

    routed = set(Delivery.objects.values_list("endpoint_id", "event_id"))
    assert routed == {
        (own.pk, expired.pk),
        (own.pk, blacklisted.pk),
        (dealer_all.pk, expired.pk),
        (dealer_all.pk, blacklisted.pk),
        (platform_filtered.pk, blacklisted.pk),
    }
    deliveries_send_due(now=NOW)
    assert len(receiver.received) == 5
    assert all(r.verified_by for r in receiver.received)


def test_a_rolled_back_cause_leaves_no_delivery(tree, receiver):
    make_endpoint(tree.dealer_admin, receiver)

    with pytest.raises(RuntimeError), transaction.atomic():
        emit(tree.dealer)
        raise RuntimeError("the cause failed")

    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_disabled_endpoints_get_nothing(tree, receiver):
    endpoint = make_endpoint(tree.dealer_admin, receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)

    emit(tree.dealer)

    assert not Delivery.objects.exists()


def test_an_endpoint_failing_for_5_days_is_disabled_and_its_customer_told(tree, receiver):
    failing = make_endpoint(tree.dealer_admin, receiver)
    receiver.default = Answer(status=500)
    day = timedelta(days=1)
    for n in range(5):
        emit(tree.dealer, now=NOW + n * day)
        deliveries_send_due(now=NOW + n * day)
    failing.refresh_from_db()
    assert failing.enabled and failing.failing_since == NOW

    emit(tree.dealer, now=NOW + 5 * day)
    deliveries_send_due(now=NOW + 5 * day)

    failing.refresh_from_db()
    assert not failing.enabled
    assert failing.disabled_reason
    disabled = Event.objects.get(type="webhook.disabled")
    assert disabled.customer == tree.dealer
    assert disabled.data["webhook"]["id"] == failing.pk
    assert disabled.data["webhook"]["enabled"] is False
    before = len(receiver.received)
    assert deliveries_send_due(now=NOW + 6 * day).claimed == 0
    assert len(receiver.received) == before


def test_a_success_restarts_the_five_days(tree, receiver):
    endpoint = make_endpoint(tree.dealer_admin, receiver)
    day = timedelta(days=1)
    receiver.answers = [Answer(status=500)] * 4
    for n in range(4):
        emit(tree.dealer, now=NOW + n * day)
        deliveries_send_due(now=NOW + n * day)
    emit(tree.dealer, now=NOW + 4 * day)
    deliveries_send_due(now=NOW + 4 * day)  # answered 200 (plus the retries due by then)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None

    receiver.default = Answer(status=500)
    emit(tree.dealer, now=NOW + 6 * day)
    deliveries_send_due(now=NOW + 6 * day)

    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since == NOW + 6 * day


def test_an_address_allowed_when_saved_is_checked_again_when_sent(tree, receiver, settings):
    make_endpoint(tree.dealer_admin, receiver)
    emit(tree.dealer)
    settings.DAYPASS_WEBHOOK_ALLOW_PRIVATE = False

    deliveries_send_due(now=NOW)

    assert receiver.received == []
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error.startswith("refused:")
