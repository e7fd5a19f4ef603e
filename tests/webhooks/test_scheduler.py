"""The outbox on a schedule: the thread of `daypass run`/`daypass worker`, and `daypass deliver`."""

from __future__ import annotations

import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError

from daypass.core import clock
from daypass.webhooks import scheduler
from daypass.webhooks.models import Delivery
from daypass.webhooks.outbox import RoundResult
from tests.webhooks.conftest import emit, make_endpoint


@pytest.mark.django_db(transaction=True)
def test_the_outbox_thread_sends_what_is_due_until_stopped(receiver):
    from tests.factories import make_tree

    tree = make_tree()
    make_endpoint(tree.dealer_admin, receiver)
    event = emit(tree.dealer, now=clock.now())

    thread = scheduler.start_outbox_scheduler(interval_seconds=0.05)
    try:
        deadline = time.monotonic() + 20
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        thread.stop(timeout=20)

    assert not thread.is_alive()
    assert [r.id for r in receiver.received] == [event.uid]
    assert Delivery.objects.get().status == "delivered"


@pytest.mark.django_db  # the loop tidies its connection after each round
def test_a_busy_database_makes_the_round_retry_next_time(monkeypatch):
    calls = []
    stop = threading.Event()

    def flaky_round(*, now, stop_event=None):
        calls.append(now)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        stop.set()
        return RoundResult()

    monkeypatch.setattr(scheduler, "deliveries_send_due", flaky_round)

    scheduler.run_outbox_until_stopped(interval_seconds=0.01, stop_event=stop)

    assert len(calls) == 2


def test_deliver_sends_what_is_due_once_and_says_so(tree, receiver):
    make_endpoint(tree.dealer_admin, receiver)
    emit(tree.dealer, now=clock.now())
    emit(tree.dealer, now=clock.now())
    out = StringIO()

    call_command("deliver", stdout=out)

    assert "Webhooks: 2 sent, 2 delivered, 0 to retry, 0 failed." in out.getvalue()
    assert "Emails: " in out.getvalue()
    assert len(receiver.received) == 2
