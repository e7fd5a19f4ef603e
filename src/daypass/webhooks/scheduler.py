"""The outbox on a schedule: a thread for `daypass run` and `daypass worker`, and the one-shot
round of `daypass deliver`.

Each round sends the webhook deliveries that are due and then the notification emails that are
due (`daypass.notifications.services.notifications_send_due`). A round that fails —
a busy database, a lost connection — is logged and simply tried again at the next round: the
outbox keeps everything it did not record as sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from daypass.core import clock
from daypass.core.busy import log_failed_round
from daypass.notifications.services import SendResult, notifications_send_due
from daypass.webhooks.outbox import RoundResult, deliveries_send_due

logger = logging.getLogger("daypass.webhooks.scheduler")


@dataclass
class OutboxRound:
    webhooks: RoundResult
    emails: SendResult


def outbox_run_once(*, now: datetime, stop_event: threading.Event | None = None) -> OutboxRound:
    """Send what is due at `now`: webhook deliveries, then notification emails."""
    webhooks = deliveries_send_due(now=now, stop_event=stop_event)
    return OutboxRound(webhooks=webhooks, emails=notifications_send_due(now=now))


def run_outbox_until_stopped(
    *,
    interval_seconds: float,
    stop_event: threading.Event,
    on_round: Callable[[OutboxRound], None] | None = None,
) -> None:
    """A round now, then every `interval_seconds`, until `stop_event` is set."""
    while not stop_event.is_set():
        started = clock.now()
        try:
            done = outbox_run_once(now=started, stop_event=stop_event)
        except Exception as exc:
            # What was not recorded as sent is still pending: the next round sends it.
            log_failed_round(logger, what="outbox round", at=started, exc=exc)
            connection.close()
        else:
            if on_round is not None:
                on_round(done)
            connection.close_if_unusable_or_obsolete()
        stop_event.wait(interval_seconds)


class OutboxThread(threading.Thread):
    """The outbox scheduler thread. `stop()` ends it after the batch in flight."""

    def __init__(self, *, interval_seconds: float):
        super().__init__(name="daypass-outbox", daemon=True)
        self.interval_seconds = interval_seconds
        self.stop_event = threading.Event()

    def run(self) -> None:
        try:
            run_outbox_until_stopped(
                interval_seconds=self.interval_seconds, stop_event=self.stop_event
            )
        finally:
            connection.close()

    def stop(self, timeout: float | None = None) -> None:
        self.stop_event.set()
        self.join(timeout)


def start_outbox_scheduler(*, interval_seconds: float) -> OutboxThread:
    thread = OutboxThread(interval_seconds=interval_seconds)
    thread.start()
    return thread
