"""The outbox under real processes on PostgreSQL (SPEC 12.3): a worker killed in the middle of
a batch loses no delivery, and two workers delivering at once send each attempt once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, transaction

from daypass.events.emit import NewEvent, events_emit_many
from daypass.webhooks.models import Delivery
from tests import factories
from tests.factories import NOW
from tests.webhooks.conftest import make_endpoint
from tests.webhooks.receiver import Answer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite runs one worker, so workers cannot race there",
    ),
    pytest.mark.django_db(transaction=True),
]

REPO = Path(__file__).resolve().parents[2]


def worker_environment() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict),
        "DJANGO_SETTINGS_MODULE": "daypass.settings",
        "DAYPASS_WEBHOOK_ALLOW_PRIVATE": "true",
        "PYTHONUNBUFFERED": "1",
    }


def deliver_process() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "django", "deliver"],
        env=worker_environment(),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def queue_events(count: int):
    tree = factories.make_tree()
    return tree, [NewEvent("license.expired", tree.dealer.pk, {"n": n}) for n in range(count)]


def test_a_worker_killed_mid_batch_loses_no_delivery(receiver):
    tree, events = queue_events(400)
    make_endpoint(tree.dealer_admin, receiver)
    with transaction.atomic():
        events_emit_many(events=events, now=NOW)
    uids = set(Delivery.objects.values_list("event__uid", flat=True))
    assert len(uids) == 400
    receiver.default = Answer(status=200, delay=0.05)

    worker = deliver_process()
    deadline = time.monotonic() + 60
    while len(receiver.received) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    seen_before = {r.id for r in receiver.received}
    assert 40 <= len(seen_before) < 400, "the kill did not land in the middle of the work"

    receiver.default = Answer(status=200)
    survivor = deliver_process()
    output, _ = survivor.communicate(timeout=120)

    assert survivor.returncode == 0, output
    assert {r.id for r in receiver.received} == uids  # every event at least once
    assert all(r.verified_by for r in receiver.received)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_two_workers_deliver_10000_events_sending_each_attempt_once(receiver):
    tree, events = queue_events(10_000)
    make_endpoint(tree.dealer_admin, receiver)
    with transaction.atomic():
        events_emit_many(events=events, now=NOW)

    workers = [deliver_process(), deliver_process()]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    sent = Counter(r.id for r in receiver.received)
    assert len(sent) == 10_000
    assert set(sent.values()) == {1}, sent.most_common(3)
    assert Delivery.objects.filter(status="delivered", attempts=1).count() == 10_000
    claims = [int(output.split("Webhooks: ")[1].split(" sent")[0]) for output in outputs]
    assert sum(claims) == 10_000, outputs
