"""Writing events: in the cause's transaction, through the sinks, with stable public ids."""

from __future__ import annotations

import pytest
from django.db import transaction

from daypass.events import sinks
from daypass.events.emit import NewEvent, event_emit, events_emit_many
from daypass.events.models import Event
from daypass.events.types import EventType
from tests import factories

NOW = factories.NOW


@pytest.fixture
def customer(db):
    return factories.make_customer(name="Platform")


@pytest.fixture
def recorded_sink():
    calls: list[tuple[list[int], object]] = []

    def sink(event_ids, now):
        calls.append((list(event_ids), now))

    sinks.register_sink(sink)
    yield calls
    sinks._sinks.remove(sink)


def test_event_emit_writes_one_event_with_an_evt_id(customer):
    with transaction.atomic():
        event = event_emit(type=EventType.WEBHOOK_TEST, customer=customer, data={}, now=NOW)
    stored = Event.objects.get()
    assert stored.pk == event.pk
    assert stored.uid.startswith("evt_") and len(stored.uid) > 20
    assert (stored.type, stored.customer_id, stored.at, stored.data) == (
        "webhook.test",
        customer.pk,
        NOW,
        {},
    )


def test_event_ids_are_unique_and_never_change(customer):
    with transaction.atomic():
        ids = events_emit_many(
            events=[NewEvent(EventType.WEBHOOK_TEST, customer.pk, {}) for _ in range(50)], now=NOW
        )
    uids = dict(Event.objects.values_list("pk", "uid"))
    assert sorted(uids) == sorted(ids)
    assert len(set(uids.values())) == 50
    assert dict(Event.objects.values_list("pk", "uid")) == uids


def test_every_emit_calls_each_sink_once_with_the_new_ids(customer, recorded_sink):
    with transaction.atomic():
        one = event_emit(type=EventType.WEBHOOK_TEST, customer=customer, data={}, now=NOW)
        many = events_emit_many(
            events=[NewEvent(EventType.WEBHOOK_TEST, customer.pk, {"n": n}) for n in range(3)],
            now=NOW,
        )
    assert recorded_sink == [([one.pk], NOW), (many, NOW)]


def test_a_sink_is_registered_once(recorded_sink):
    (sink,) = [s for s in sinks._sinks if s.__name__ == "sink"]
    sinks.register_sink(sink)
    assert sinks._sinks.count(sink) == 1


def test_emitting_nothing_writes_nothing_and_calls_no_sink(customer, recorded_sink):
    with transaction.atomic():
        assert events_emit_many(events=[], now=NOW) == []
    assert recorded_sink == []
    assert not Event.objects.exists()


def test_a_rolled_back_cause_leaves_no_event_and_nothing_a_sink_wrote(customer):
    def sink(event_ids, now):
        factories.make_customer(parent=customer, name="written by the sink")

    sinks.register_sink(sink)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            event_emit(type=EventType.WEBHOOK_TEST, customer=customer, data={}, now=NOW)
            raise RuntimeError("the cause failed")
    finally:
        sinks._sinks.remove(sink)
    assert not Event.objects.exists()
    assert not customer.children.exists()


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused():
    customer = factories.make_customer(name="Platform")
    with pytest.raises(RuntimeError, match="inside the transaction"):
        event_emit(type=EventType.WEBHOOK_TEST, customer=customer, data={}, now=NOW)
    assert not Event.objects.exists()
