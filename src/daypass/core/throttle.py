"""Login throttling (SPEC 5): per (username, address) and per address, never per username alone.

A stranger must not be able to lock anyone out: ten wrong passwords for `admin` from one address
throttle that address's attempts at `admin`, not `admin` from everywhere else.

Every attempt is counted *before* the password is checked, by one atomic statement that also
returns the new count (an upsert with RETURNING, on SQLite ≥ 3.35 and PostgreSQL alike), so
concurrent attempts get distinct numbers and exactly `limit` of them reach the password check,
across threads, processes and app servers sharing the database. An attempt that turns out
right is taken back off both counters: only failures use up the allowance.

Each counter is a fixed window: it starts at its first attempt and lasts LOGIN_FAILURE_WINDOW;
the next attempt after that starts a new one. `Retry-After` is the time left in the window.
Failed logins are also written as audit events (`login.failed`, with the address).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import F

from daypass.core.audit import audit_record
from daypass.core.errors import DaypassError, ErrorCode
from daypass.core.models import LoginCounter

if TYPE_CHECKING:
    from daypass.customers.models import Account

LOGIN_FAILURE_LIMIT = 10
# Higher per address: many people may share one (an office behind NAT), and one person's typos
# should not lock out the rest.
ADDRESS_FAILURE_LIMIT = 50
LOGIN_FAILURE_WINDOW = timedelta(minutes=5)
LOGIN_FAILED_ACTION = "login.failed"
UNKNOWN_ADDRESS = "-"


class LoginThrottled(DaypassError):
    code = ErrorCode.THROTTLED

    def __init__(self, message: str = "", *, retry_after: int):
        super().__init__(message=message)
        self.retry_after = retry_after


def _key(*parts: str) -> str:
    # Hashed: fixed length, and any text (NUL bytes included) is a valid key.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _keys(username: str, address: str | None) -> list[tuple[str, int]]:
    address = address or UNKNOWN_ADDRESS
    return [
        (_key("user+address", username, address), LOGIN_FAILURE_LIMIT),
        (_key("address", address), ADDRESS_FAILURE_LIMIT),
    ]


def _count_sql() -> str:
    table = connection.ops.quote_name(LoginCounter._meta.db_table)
    # A window that has ended starts again at 1 from now; otherwise count + 1.
    return (
        f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1) "
        f"ON CONFLICT (key) DO UPDATE SET "
        f"count = CASE WHEN {table}.window_start <= %s THEN 1 ELSE {table}.count + 1 END, "
        f"window_start = CASE WHEN {table}.window_start <= %s THEN %s "
        f"ELSE {table}.window_start END "
        f"RETURNING count, window_start"
    )


def _count(key: str, now: datetime) -> tuple[int, datetime]:
    adapt = connection.ops.adapt_datetimefield_value
    started, expired = adapt(now), adapt(now - LOGIN_FAILURE_WINDOW)
    with connection.cursor() as cursor:
        cursor.execute(_count_sql(), [key, started, expired, expired, started])
        count, window_start = cursor.fetchone()
    if isinstance(window_start, str):  # SQLite answers RETURNING with the stored text
        window_start = datetime.fromisoformat(window_start)
    if window_start.tzinfo is None:
        window_start = window_start.replace(tzinfo=UTC)
    return count, window_start


def _attempt_count(*, username: str, address: str | None, now: datetime) -> None:
    """Count this attempt on both counters, in its own transaction; `LoginThrottled` (with
    the seconds until the fullest window ends) if either is over its limit."""
    over: list[datetime] = []
    with transaction.atomic():
        for key, limit in _keys(username, address):
            count, window_start = _count(key, now)
            if count > limit:
                over.append(window_start + LOGIN_FAILURE_WINDOW)
    if over:
        retry_after = max(1, math.ceil((max(over) - now).total_seconds()))
        raise LoginThrottled(
            message="Too many failed logins; try again in a few minutes.",
            retry_after=retry_after,
        )


def _attempt_taken_back(*, username: str, address: str | None) -> None:
    keys = [key for key, _limit in _keys(username, address)]
    LoginCounter.objects.filter(key__in=keys, count__gt=0).update(count=F("count") - 1)


def _failure_record(*, username: str, address: str | None, now: datetime) -> None:
    # The username as typed, minus NUL bytes, which PostgreSQL text cannot hold.
    target = username.replace("\x00", "\ufffd")
    audit_record(actor=None, action=LOGIN_FAILED_ACTION, now=now, target=target, ip_address=address)
    # Counters whose window ended long ago are of no use; they go as failures come.
    LoginCounter.objects.filter(window_start__lt=now - 2 * LOGIN_FAILURE_WINDOW).delete()


def login_check(
    *,
    username: str,
    address: str | None,
    now: datetime,
    check: Callable[[], Account | None],
) -> Account | None:
    """One sign-in attempt: count it (`LoginThrottled` over a limit, before any password is
    checked), then `check()` the password. The account, or None for a failure (audited as
    `login.failed`). A success is taken back off the counters."""
    _attempt_count(username=username, address=address, now=now)
    account = check()
    if account is None:
        _failure_record(username=username, address=address, now=now)
    else:
        _attempt_taken_back(username=username, address=address)
    return account
