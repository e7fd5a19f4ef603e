"""Monthly partitions of the deductions table on PostgreSQL (SPEC 11: a year of history).

`billing_deduction` is range-partitioned by `at` (migration billing/0006), one partition per
calendar month in UTC (`billing_deduction_y2026m12`) plus a DEFAULT partition
(`billing_deduction_default`) that catches a row whose month has no partition yet, so no charge
can ever fail for want of a partition. Each month's table and indexes stay small and hot, so the
sweep's 100,000 inserts land in B-trees of one month instead of a year.

`deduction_partitions_ensure` creates the months from the current one to `MONTHS_AHEAD` months
ahead, and a partition for every month that has rows in DEFAULT (moving them in). It runs after
every `migrate` (post_migrate, billing.apps) and before every scheduled sweep
(billing.scheduler); with nothing to do it costs two catalog-sized queries. It is idempotent and
safe when several processes run it at once: the work is done under a transaction-level advisory
lock, after which the existing partitions are read again.

A new month is created as a plain table and then attached: ATTACH PARTITION takes only a SHARE
UPDATE EXCLUSIVE lock on the parent (reports and sweeps keep writing), where CREATE TABLE …
PARTITION OF would queue every reader and writer behind an ACCESS EXCLUSIVE lock. Attaching
takes an ACCESS EXCLUSIVE lock on the (normally empty) DEFAULT partition to check it holds no
row of the new month; `lock_timeout` bounds that wait, and a run that times out is retried by
the next one (the months are made ahead of time, so a missed run costs nothing).

SQLite: nothing (one table, as before).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

from daypass.core.busy import is_busy_error

PARENT = "billing_deduction"
DEFAULT_PARTITION = f"{PARENT}_default"
# The current month and three more: a scheduler that is down for two months still finds its
# months ready; and if it were down longer, rows go to DEFAULT and are moved out later.
MONTHS_AHEAD = 3
# Bounds how long creating a month may wait for the DEFAULT partition's lock (see above).
LOCK_TIMEOUT = "5s"
# pg_advisory_xact_lock key of this job (any constant unique to the project).
ADVISORY_LOCK_KEY = 0x44_50_42_44  # "DPBD"
OBJECT_IN_USE = "55006"

_NAME = re.compile(rf"^{PARENT}_y(\d{{4}})m(\d{{2}})$")


def month_start(at: datetime) -> datetime:
    """The first instant of `at`'s calendar month in UTC."""
    at = at.astimezone(UTC)
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def next_month(month: datetime) -> datetime:
    return datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(month: datetime) -> str:
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def is_partitioned(connection) -> bool:
    """Whether `billing_deduction` is a partitioned table (PostgreSQL, after billing/0006)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relkind = 'p' FROM pg_class c WHERE c.oid = to_regclass(%s)",
            [PARENT],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def existing_months(connection) -> set[datetime]:
    """The months that have a partition (by name; created only by this module)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s)",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    months = set()
    for name in names:
        match = _NAME.match(name)
        if match:
            months.add(datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC))
    return months


def wanted_months(*, now: datetime, since: datetime | None = None) -> list[datetime]:
    """From `since`'s month (default: now's) through `MONTHS_AHEAD` months after now's."""
    month = month_start(min(since, now) if since else now)
    last = month_start(now)
    for _ in range(MONTHS_AHEAD):
        last = next_month(last)
    months = []
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def _default_has_rows(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION})")
        return cursor.fetchone()[0]


def deduction_partitions_ensure(
    *, now: datetime | None = None, since: datetime | None = None, using: str = DEFAULT_DB_ALIAS
) -> list[str]:
    """Create the missing monthly partitions; return the names created (oldest first).

    The months from `since` (default: now) through `MONTHS_AHEAD` months after now, and every
    month that has rows in the DEFAULT partition (they are moved into their month). Nothing on
    SQLite or before the table is partitioned.
    """
    connection = connections[using]
    if not is_partitioned(connection):
        return []
    now = now or datetime.now(UTC)
    wanted = wanted_months(now=now, since=since)
    if set(wanted) <= existing_months(connection) and not _default_has_rows(connection):
        return []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous_timeout,) = cursor.fetchone()
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
        # Another process creating months waits here, then finds them made.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        existing = existing_months(connection)
        cursor.execute(f"SELECT DISTINCT date_trunc('month', at, 'UTC') FROM {DEFAULT_PARTITION}")
        stranded = {month_start(row[0]) for row in cursor.fetchall()}
        missing = sorted((set(wanted) | stranded) - existing)
        if stranded:
            # Nobody may add rows to DEFAULT while its rows are moved out.
            cursor.execute(f"LOCK TABLE {DEFAULT_PARTITION} IN ACCESS EXCLUSIVE MODE")
        columns = ", ".join(_columns(cursor))
        for month in missing:
            _create_month(cursor, month=month, columns=columns, move=month in stranded)
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous_timeout])
    return [partition_name(month) for month in missing]


def _columns(cursor) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = to_regclass(%s)"
        " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        [PARENT],
    )
    return [row[0] for row in cursor.fetchall()]


def _create_month(cursor, *, month: datetime, columns: str, move: bool) -> None:
    name, low, high = partition_name(month), month, next_month(month)
    # The parent's columns, defaults, NOT NULLs and CHECK constraints; ATTACH then adds the
    # parent's indexes (primary key and unique window index included) and foreign keys.
    cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    if move:
        cursor.execute(
            f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {DEFAULT_PARTITION}"
            " WHERE at >= %s AND at < %s",
            [low, high],
        )
        cursor.execute(f"DELETE FROM {DEFAULT_PARTITION} WHERE at >= %s AND at < %s", [low, high])
    # Bounds as literals: DDL takes no parameters under server-side binding.
    cursor.execute(
        f"ALTER TABLE {PARENT} ATTACH PARTITION {name}"
        f" FOR VALUES FROM ('{low.isoformat()}') TO ('{high.isoformat()}')"
    )


def deduction_partitions_drop_before(*, before: datetime, last_id: int, using=DEFAULT_DB_ALIAS):
    """Drop the monthly partitions that lie wholly before `before` and hold no row after
    `last_id` (the archive's last written row); return their names. For the archive
    (billing.archive): dropping a month is instant where deleting its rows rewrites millions of
    index entries and leaves the table to vacuum. Must run inside the archive's transaction.

    Dropping a partition takes an ACCESS EXCLUSIVE lock on the parent for an instant; if it
    cannot have it within `LOCK_TIMEOUT` the month is left to the archive's DELETE instead.
    """
    connection = connections[using]
    if not is_partitioned(connection):
        return []
    dropped = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous_timeout,) = cursor.fetchone()
        for month in sorted(existing_months(connection)):
            name = partition_name(month)
            if next_month(month) > before:
                break
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {name} WHERE id > %s)", [last_id])
            if cursor.fetchone()[0]:
                continue  # a row the archive file does not hold: leave it to the DELETE
            try:
                with transaction.atomic(using=using):
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
                    cursor.execute(f"DROP TABLE {name}")
            except OperationalError as exc:
                # Busy, or rows written in this very transaction (their deferred foreign-key
                # checks are pending: PostgreSQL refuses to drop the table under them).
                if not (is_busy_error(exc) or _sqlstate(exc) == OBJECT_IN_USE):
                    raise
            else:
                dropped.append(name)
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous_timeout])
    return dropped


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)
