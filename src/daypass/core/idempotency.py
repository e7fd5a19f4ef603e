"""Idempotency keys for state-changing API calls.

A client that sends `Idempotency-Key: <key>` with a POST may safely retry it: the first answer
(status and body) is stored with the key, and a repeat with the same key and the same request
gets that answer back without running anything again. The same key with a different request is
refused with 409 `idempotency_key_reused`. Keys are per account and expire after 24 hours.

The claim, the operation and the stored answer are one transaction. Two concurrent requests with
one key meet at the unique constraint (account, key): on PostgreSQL the second INSERT waits for
the first transaction and then fails, and the second request replays the committed answer; on
SQLite writers are serialised anyway (IMMEDIATE transactions). A crash rolls everything back,
so a key is never left claimed without an answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from daypass.core.errors import DaypassError, ErrorCode, ValidationFailed
from daypass.core.models import IdempotencyRecord

if TYPE_CHECKING:
    from daypass.customers.models import Account

IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyKeyReused(DaypassError):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


def request_fingerprint(request: HttpRequest) -> str:
    """What makes two requests "the same": method, path, query string and the exact body."""
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.META.get("QUERY_STRING", "")):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def idempotency_key_of(request: HttpRequest) -> str:
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            message=f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} characters."
        )
    return key


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            message="This Idempotency-Key was already used for a different request."
        )
    response = HttpResponse(
        bytes(record.response_body or b""),
        status=record.status_code,
        content_type="application/json; charset=utf-8",
    )
    response[REPLAYED_HEADER] = "true"
    return response


def run_idempotently(
    *,
    account: Account,
    key: str,
    request: HttpRequest,
    run: Callable[[], HttpResponse],
    now: datetime,
) -> HttpResponse:
    """Run `run()` once per (account, key); repeats get the stored answer.

    Raises IdempotencyKeyReused for the same key with a different request. Answers of 5xx
    (bugs) are not stored: the transaction rolls back and the client may retry.
    """
    fingerprint = request_fingerprint(request)
    with transaction.atomic():
        # Expired keys are gone for good; dropping this account's stale ones keeps the table
        # small without a separate cleaning job.
        IdempotencyRecord.objects.filter(
            account=account, created_at__lte=now - KEY_LIFETIME
        ).delete()
        existing = IdempotencyRecord.objects.filter(account=account, key=key).first()
        if existing is not None:
            return _replay(existing, fingerprint)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    account=account,
                    key=key,
                    method=request.method or "",
                    path=request.path[:500],
                    request_hash=fingerprint,
                    created_at=now,
                )
        except IntegrityError:
            # A concurrent request with this key committed first (we waited on its row).
            existing = IdempotencyRecord.objects.filter(account=account, key=key).first()
            if existing is None or existing.status_code is None:
                raise IdempotencyKeyReused(
                    message="A request with this Idempotency-Key is still being processed."
                ) from None
            return _replay(existing, fingerprint)

        with transaction.atomic():
            response = run()
            if response.status_code >= 400 or response.streaming:
                # A refused operation changed nothing (services are all-or-nothing); rolling
                # back its savepoint also clears a transaction a database error aborted.
                transaction.set_rollback(True)
        if response.status_code >= 500 or response.streaming:
            transaction.set_rollback(True)
            return response
        record.status_code = response.status_code
        record.response_body = bytes(response.content)
        record.save(update_fields=["status_code", "response_body"])
        return response
