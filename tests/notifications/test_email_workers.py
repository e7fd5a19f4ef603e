"""Two mail workers at once on PostgreSQL (SPEC 12.2): every immediate mail and every digest is
written once and sent once, whichever worker claims it."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections

from daypass.events.types import EventType
from daypass.notifications.models import Mail, MailKind, Notification
from daypass.notifications.services import notification_settings_update, notifications_send_due
from tests import factories
from tests.notifications.test_email import emit, license_data

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so two workers cannot race there",
    ),
    pytest.mark.django_db(transaction=True),
]

NOW = factories.NOW  # 12:00; the digest hour is 07:00
NEXT_DIGEST = NOW + timedelta(hours=19)
ACCOUNTS = 30
EVENTS = 12


def run_two_workers(now) -> list[Exception]:
    """Both workers start together; each closes its own connection when done."""
    start = threading.Barrier(2)
    failures: list[Exception] = []

    def work():
        try:
            start.wait()
            notifications_send_due(now=now)
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return failures


def test_two_workers_write_and_send_every_mail_once(smtp):
    tree = factories.make_tree()
    addresses = []
    for n in range(ACCOUNTS):
        account = factories.make_account(tree.dealer, "operator")
        mode = "email" if n % 2 else "digest"
        address = f"{mode}{n}@example.com"
        notification_settings_update(
            account=account, email=address, events={"license.expired": mode}, now=NOW
        )
        addresses.append((address, mode))
    for n in range(EVENTS):
        emit(EventType.LICENSE_EXPIRED, tree.dealer, license_data(f"DP{n:010d}", 0, tree.dealer))

    # 12:00: the immediate mails; 07:00 the next day: the digests
    assert run_two_workers(NOW) == []
    assert run_two_workers(NEXT_DIGEST) == []

    immediate = [a for a, mode in addresses if mode == "email"]
    digest = [a for a, mode in addresses if mode == "digest"]
    received = Counter(rcpt for envelope in smtp.envelopes for rcpt in envelope.rcpt_tos)
    assert received == Counter({**{a: EVENTS for a in immediate}, **{a: 1 for a in digest}})
    assert Mail.objects.filter(kind=MailKind.IMMEDIATE).count() == len(immediate) * EVENTS
    assert Mail.objects.filter(kind=MailKind.DIGEST).count() == len(digest)
    assert not Mail.objects.filter(sent_at__isnull=True).exists()
    assert set(Mail.objects.values_list("attempts", flat=True)) == {1}
    assert not Notification.objects.filter(
        mailed_at__isnull=True, mode__in=["email", "digest"]
    ).exists()
