"""The outbox: send the deliveries that are due, record what happened (SPEC 12.3).

A round claims up to `batch_size` due deliveries of enabled endpoints, sends them concurrently
(threads; the database is not touched while sending), then records every attempt at once.

- PostgreSQL: claim, send and record happen in ONE transaction and the claim is
  `SELECT … FOR UPDATE SKIP LOCKED`, so while a delivery is being sent its row stays locked:
  another worker skips it, and no attempt is ever sent twice by two workers. A worker killed at
  any point loses its connection, its transaction rolls back, and the deliveries are pending
  again, due as before: the next worker sends them (at least once, same `webhook-id`).
- SQLite (one worker): the claim is a plain read and only the recording is a transaction, so
  the database's single write lock is never held while waiting on a receiver.

Retries: after a failed attempt the delivery is due again after 5 s, 5 min, 30 min, 2 h, 5 h,
10 h and 10 h (each ±10%); the eighth failed attempt makes it `failed`. An endpoint whose attempts
have all failed for 5 days since its first failure after its last success is disabled, and
`webhook.disabled` is emitted in the same transaction.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from daypass.core.api import dumps
from daypass.core.audit import audit_record
from daypass.events.api import event_out
from daypass.events.emit import event_emit
from daypass.events.types import EventType
from daypass.webhooks.endpoint_secrets import secret_decrypt
from daypass.webhooks.models import Delivery, DeliveryStatus, WebhookEndpoint
from daypass.webhooks.sender import Attempt, attempt_send, send_target
from daypass.webhooks.shapes import endpoint_out
from daypass.webhooks.url_rules import Target

logger = logging.getLogger("daypass.webhooks")

RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.10
DISABLE_AFTER = timedelta(days=5)
DISABLED_REASON = "Every delivery attempt failed for 5 days."


@dataclass
class RoundResult:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    disabled_endpoints: list[int] = field(default_factory=list)


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long after its `attempts`-th failed attempt a delivery is tried again (±10%)."""
    base = RETRY_DELAYS[attempts - 1]
    return base * (rng or random).uniform(1 - JITTER, 1 + JITTER)


def deliveries_send_due(
    *, now: datetime, batch_size: int | None = None, stop_event: threading.Event | None = None
) -> RoundResult:
    """Send everything due at `now`, batch after batch, until nothing due is left unclaimed."""
    total = RoundResult()
    while stop_event is None or not stop_event.is_set():
        result = deliveries_send_batch(now=now, batch_size=batch_size)
        total.claimed += result.claimed
        total.delivered += result.delivered
        total.retrying += result.retrying
        total.failed += result.failed
        total.disabled_endpoints += result.disabled_endpoints
        if result.claimed < (batch_size or settings.DAYPASS_DELIVERY_BATCH_SIZE):
            break
    return total


def deliveries_send_batch(*, now: datetime, batch_size: int | None = None) -> RoundResult:
    """Claim, send and record one batch of due deliveries (see the module's docstring)."""
    size = batch_size or settings.DAYPASS_DELIVERY_BATCH_SIZE
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            batch = _claim(now=now, size=size, lock=True)
            attempts = _send(batch, now=now)
            return _record(batch, attempts, now=now)
    batch = _claim(now=now, size=size, lock=False)
    attempts = _send(batch, now=now)
    with transaction.atomic():
        return _record(batch, attempts, now=now)


def _claim(*, now: datetime, size: int, lock: bool) -> list[Delivery]:
    due = (
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__enabled=True
        )
        .select_related("endpoint", "event__customer")
        .order_by("next_attempt_at", "id")
    )
    if lock:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(due[:size])


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool_of_senders() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.DAYPASS_DELIVERY_CONCURRENCY,
                thread_name_prefix="daypass-webhook",
            )
        return _executor


def _send(batch: list[Delivery], *, now: datetime) -> list[Attempt]:
    """Send the batch on the sending threads; the URL rules are checked once per endpoint."""
    if not batch:
        return []
    secrets: dict[int, list[str]] = {}
    targets: dict[int, Target | Attempt] = {}
    bodies: dict[int, bytes] = {}
    jobs: list[dict | Attempt] = []
    for delivery in batch:
        endpoint = delivery.endpoint
        if endpoint.pk not in targets:
            targets[endpoint.pk] = send_target(endpoint.url)
            secrets[endpoint.pk] = _live_secrets(endpoint, now=now)
        target = targets[endpoint.pk]
        if isinstance(target, Attempt):  # refused: nothing is sent
            jobs.append(target)
            continue
        if delivery.event_id not in bodies:
            # The event exactly as GET /events shows it (SPEC 12.1), encoded like the API.
            bodies[delivery.event_id] = dumps(event_out(delivery.event))
        jobs.append(
            {
                "target": target,
                "msg_id": delivery.event.uid,
                "body": bodies[delivery.event_id],
                "secrets": secrets[endpoint.pk],
                "pool_size": settings.DAYPASS_DELIVERY_CONCURRENCY,
            }
        )
    return list(_pool_of_senders().map(_run_job, jobs))


def _run_job(job: dict | Attempt) -> Attempt:
    return job if isinstance(job, Attempt) else attempt_send(**job)


def _live_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The current secret, and the previous one while it is within its 24 hours."""
    secrets = [secret_decrypt(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and now < expires:
        secrets.append(secret_decrypt(endpoint.previous_secret_encrypted))
    return secrets


def _record(batch: list[Delivery], attempts: list[Attempt], *, now: datetime) -> RoundResult:
    result = RoundResult(claimed=len(batch))
    delivered_endpoints: set[int] = set()
    failed_endpoints: set[int] = set()
    for delivery, attempt in zip(batch, attempts, strict=True):
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = attempt.status_code
        delivery.last_error = attempt.error
        delivery.last_response_body = attempt.body
        if attempt.delivered:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            result.delivered += 1
            delivered_endpoints.add(delivery.endpoint_id)
        else:
            failed_endpoints.add(delivery.endpoint_id)
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                result.failed += 1
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
                result.retrying += 1
    _save_attempts(batch)
    result.disabled_endpoints = _track_endpoints(
        delivered=delivered_endpoints, failed=failed_endpoints - delivered_endpoints, now=now
    )
    return result


_ATTEMPT_COLUMNS = (
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "last_status_code",
    "last_error",
    "last_response_body",
    "delivered_at",
)


def _save_attempts(batch: list[Delivery]) -> None:
    """One parameterised UPDATE per delivery, sent as one executemany (pipelined by psycopg).

    Django's bulk_update builds a CASE per column and row, which cost more than the sending.
    """
    adapt = connection.ops.adapt_datetimefield_value
    assignments = ", ".join(f"{column} = %s" for column in _ATTEMPT_COLUMNS)
    rows = [
        [
            adapt(value) if column.endswith("_at") else value
            for column in _ATTEMPT_COLUMNS
            for value in [getattr(delivery, column)]
        ]
        + [delivery.pk]
        for delivery in batch
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Delivery._meta.db_table} SET {assignments} WHERE id = %s", rows
        )


def _track_endpoints(*, delivered: set[int], failed: set[int], now: datetime) -> list[int]:
    """Reset the failure clock of endpoints that answered; start it or disable the others.

    Only endpoints whose state changes are written, locked in primary-key order so that two
    workers never wait on each other in a cycle.
    """
    rows = WebhookEndpoint.objects.filter(pk__in=list(delivered | failed)).values_list(
        "pk", "enabled", "failing_since"
    )
    changing = sorted(
        pk
        for pk, enabled, since in rows
        if (pk in delivered and since is not None)
        or (pk in failed and enabled and (since is None or now - since >= DISABLE_AFTER))
    )
    disabled = []
    for endpoint in _locked(changing):
        if endpoint.pk in delivered:
            endpoint.failing_since = None
            endpoint.save(update_fields=["failing_since"])
        elif not endpoint.enabled:
            continue
        elif endpoint.failing_since is None:
            endpoint.failing_since = now
            endpoint.save(update_fields=["failing_since"])
        elif now - endpoint.failing_since >= DISABLE_AFTER:
            endpoint_disable(endpoint=endpoint, reason=DISABLED_REASON, now=now)
            disabled.append(endpoint.pk)
    return disabled


def endpoint_disable(*, endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """Disable a failing endpoint and tell its customer (`webhook.disabled`), in one transaction."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.save(update_fields=["enabled", "disabled_reason"])
    event_emit(
        type=EventType.WEBHOOK_DISABLED,
        customer=endpoint.customer,
        data={"webhook": endpoint_out(endpoint)},
        now=now,
    )
    audit_record(
        actor=None,
        action="webhook.disable",
        now=now,
        target=str(endpoint.pk),
        acting_customer=endpoint.customer,
        reason=reason,
    )
    logger.warning("webhook %s disabled: %s", endpoint.pk, reason)


def _locked(pks: list[int]) -> list[WebhookEndpoint]:
    if not pks:
        return []
    return list(
        WebhookEndpoint.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk__in=pks)
        .order_by("pk")
    )


def deliveries_due_count(*, now: datetime) -> int:
    return Delivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__enabled=True
    ).count()
