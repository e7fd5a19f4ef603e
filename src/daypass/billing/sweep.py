"""The sweep (SPEC 4.2): charge, at instant `now`, every device that is due.

Due: not blacklisted, service-until empty or <= now, and at least one bound license with an
activation time (a device whose licenses were bound in a warehouse and never activated is first
charged when it first reports, see billing.gate).

The work is set-based SQL in chunks of `chunk_size` devices, one transaction per chunk, walking
the devices table once in primary-key order (keyset), so memory holds one chunk of ids whatever
the number of due devices. Each chunk applies SPEC 4.3 to all its devices at once: the first
candidate license of every device pays (activation time, never-activated last, bound-at, card),
devices without a candidate get a failed deduction and the blacklist.

PostgreSQL: the chunk's device rows are locked with FOR UPDATE SKIP LOCKED, so several workers
share the sweep (each takes rows the others have not locked) and a device a report is charging
right now is left to that report. The charge itself is then one statement of data-modifying CTEs
run after the locks are held, so it sees every change committed before them.
SQLite: one writer at a time (IMMEDIATE transactions), so a chunk is a plain read then
`executemany` writes inside the write lock.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import monotonic

from django.conf import settings
from django.db import connection, transaction

from daypass.billing.auto_renew import devices_auto_renew
from daypass.billing.blacklist import BLACKLIST_ACTION, NO_VALID_LICENSE
from daypass.billing.models import Deduction, DeductionResult, DeductionTrigger
from daypass.core.models import AuditEvent
from daypass.devices.models import Device
from daypass.events.causes import days_crossing_sql, devices_blacklisted, license_days_changed
from daypass.licenses.models import License, LicenseType


@dataclass
class SweepResult:
    now: datetime
    charged: int = 0
    failed: int = 0
    chunks: int = 0
    seconds: float = 0.0
    # Events written (SPEC 12.1) and the time spent writing them (snapshots, inserts, sinks).
    events: int = 0
    events_seconds: float = 0.0
    stopped: bool = False
    _started: float = field(default_factory=monotonic, repr=False)

    @property
    def devices(self) -> int:
        return self.charged + self.failed


ProgressCallback = Callable[[SweepResult], None]


def sweep_run(
    *,
    now: datetime,
    chunk_size: int | None = None,
    progress: ProgressCallback | None = None,
    stop_event: threading.Event | None = None,
) -> SweepResult:
    """Charge every device due at `now`; call `progress` after each chunk.

    `stop_event` ends the sweep cleanly between chunks (a worker told to stop); what is not
    charged yet stays due for the next sweep.
    """
    chunk_size = chunk_size or settings.DAYPASS_SWEEP_CHUNK_SIZE
    charge_chunk = (
        _charge_chunk_postgresql if connection.vendor == "postgresql" else _charge_chunk_sqlite
    )
    result = SweepResult(now=now)
    after_id = 0
    if not _anything_due(now=now):
        # The everyday case between two days' charges: two index probes instead of a walk
        # over every device.
        result.seconds = monotonic() - result._started
        return result
    while True:
        if stop_event is not None and stop_event.is_set():
            result.stopped = True
            break
        with transaction.atomic():
            device_ids = _lock_due_devices(now=now, after_id=after_id, limit=chunk_size)
            if not device_ids:
                break
            # SPEC 14: spare licenses for the devices that cannot pay, before the charge.
            devices_auto_renew(device_ids=device_ids, now=now)
            charged, failed = charge_chunk(device_ids=device_ids, now=now, result=result)
        after_id = device_ids[-1]
        result.charged += charged
        result.failed += failed
        result.chunks += 1
        result.seconds = monotonic() - result._started
        if progress is not None:
            progress(result)
    result.seconds = monotonic() - result._started
    return result


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "device": quote(Device._meta.db_table),
        "license": quote(License._meta.db_table),
        "license_type": quote(LicenseType._meta.db_table),
        "deduction": quote(Deduction._meta.db_table),
        "audit": quote(AuditEvent._meta.db_table),
    }


def _anything_due(*, now: datetime) -> bool:
    """Is any device due? Read off the sweep's partial index (devices not blacklisted, by
    service-until): the ones whose window ended, then the ones never charged."""
    has_activated = (
        "EXISTS (SELECT 1 FROM {license} l WHERE l.device_id = d.id AND l.activated_at IS NOT NULL)"
    )
    ended = (
        "SELECT 1 FROM {device} d WHERE d.blacklisted = %s AND d.service_until <= %s"
        f" AND {has_activated} ORDER BY d.service_until LIMIT 1"
    )
    never = (
        "SELECT 1 FROM {device} d WHERE d.blacklisted = %s AND d.service_until IS NULL"
        f" AND {has_activated} LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(ended.format(**_tables()), [False, _db_datetime(now)])
        if cursor.fetchone():
            return True
        cursor.execute(never.format(**_tables()), [False])
        return cursor.fetchone() is not None


def _lock_due_devices(*, now: datetime, after_id: int, limit: int) -> list[int]:
    """The ids of the next `limit` due devices after `after_id`, locked for this transaction."""
    lock = " FOR UPDATE OF d SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        """
        SELECT d.id FROM {device} d
        WHERE d.id > %s
          AND d.blacklisted = %s
          AND (d.service_until IS NULL OR d.service_until <= %s)
          AND EXISTS (
              SELECT 1 FROM {license} l
              WHERE l.device_id = d.id AND l.activated_at IS NOT NULL
                -- Redundant, but it lets a merge join start the licenses' device index at the
                -- keyset too, instead of reading it from the first device for every chunk.
                AND l.device_id > %s
          )
        ORDER BY d.id
        LIMIT %s""".format(**_tables())
        + lock
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [after_id, False, _db_datetime(now), after_id, limit])
        return [row[0] for row in cursor.fetchall()]


def _db_datetime(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


# One statement for the whole chunk. All sub-statements see the same snapshot, so each step
# works from the RETURNING rows of the one before. The license UPDATE repeats the candidate
# rule (still bound to this device, enough days): if a concurrent unbind or charge changed the
# row, PostgreSQL re-checks it and the device is left for the next sweep, never charged twice
# or below zero.
POSTGRESQL_CHARGE_SQL = """
WITH pick AS (
    SELECT DISTINCT ON (l.device_id)
           l.device_id, l.id AS license_id, t.charge_days, t.period_hours
    FROM {license} l JOIN {license_type} t ON t.id = l.type_id
    WHERE l.device_id = ANY(%(ids)s::bigint[]) AND l.available_days >= t.charge_days
    ORDER BY l.device_id, l.activated_at ASC NULLS LAST, l.bound_at, l.card
),
charged AS (
    UPDATE {license} l
    SET available_days = l.available_days - p.charge_days,
        activated_at = COALESCE(l.activated_at, %(now)s)
    FROM pick p
    WHERE l.id = p.license_id AND l.device_id = p.device_id
      AND l.available_days >= p.charge_days
    RETURNING l.id AS license_id, l.device_id, l.customer_id, l.available_days,
              p.charge_days, %(now)s + p.period_hours * interval '1 hour' AS window_end
),
granted AS (
    UPDATE {device} d SET service_until = c.window_end
    FROM charged c WHERE d.id = c.device_id
    RETURNING d.id
),
success_rows AS (
    INSERT INTO {deduction} (at, device_id, license_id, customer_id, days, available_days_after,
                             window_start, window_end, trigger, result, reason)
    SELECT %(now)s, c.device_id, c.license_id, c.customer_id, c.charge_days, c.available_days,
           %(now)s, c.window_end, %(trigger)s, %(success)s, ''
    FROM charged c
),
blacklisted AS (
    UPDATE {device} d
    SET blacklisted = true, blacklisted_at = %(now)s, blacklist_reason = %(reason)s
    -- The chunk's devices without a candidate, as an array first: usually there are none,
    -- and then the devices table is not probed 5,000 times to find that out.
    WHERE d.id = ANY(ARRAY(
        SELECT unnest(%(ids)s::bigint[]) EXCEPT SELECT p.device_id FROM pick p
    ))
    RETURNING d.id, d.customer_id, d.number
),
failed_rows AS (
    INSERT INTO {deduction} (at, device_id, license_id, customer_id, days, available_days_after,
                             window_start, window_end, trigger, result, reason)
    SELECT %(now)s, b.id, NULL, b.customer_id, 0, NULL, %(now)s, NULL,
           %(trigger)s, %(failed)s, %(reason)s
    FROM blacklisted b
),
blacklist_events AS (
    INSERT INTO {audit} (at, actor_id, actor_username, acting_customer_id, action, target,
                         details, ip_address)
    SELECT %(now)s, NULL, '', b.customer_id, %(action)s, b.number,
           jsonb_build_object('reason', %(reason)s::text), NULL
    FROM blacklisted b
)
SELECT (SELECT count(*) FROM granted), (SELECT count(*) FROM blacklisted),
       -- What the events of SPEC 12.1 need: the licenses that crossed a threshold (with their
       -- days before and after) and the blacklisted devices.
       ARRAY(SELECT c.license_id FROM charged c WHERE {crossing} ORDER BY c.license_id),
       ARRAY(SELECT c.available_days + c.charge_days FROM charged c WHERE {crossing}
             ORDER BY c.license_id),
       ARRAY(SELECT c.available_days FROM charged c WHERE {crossing} ORDER BY c.license_id),
       ARRAY(SELECT b.id FROM blacklisted b)
"""


def _charge_chunk_postgresql(
    *, device_ids: list[int], now: datetime, result: SweepResult
) -> tuple[int, int]:
    crossing = days_crossing_sql(after="c.available_days", taken="c.charge_days")
    with connection.cursor() as cursor:
        cursor.execute(
            POSTGRESQL_CHARGE_SQL.format(**_tables(), crossing=crossing),
            {
                "ids": device_ids,
                "now": now,
                "trigger": DeductionTrigger.SWEEP.value,
                "success": DeductionResult.SUCCESS.value,
                "failed": DeductionResult.FAILED.value,
                "reason": NO_VALID_LICENSE,
                "action": BLACKLIST_ACTION,
            },
        )
        charged, failed, crossed, days_before, days_after, blacklisted = cursor.fetchone()
    _emit_chunk_events(
        changes=zip(crossed, days_before, days_after, strict=True),
        blacklisted=blacklisted,
        now=now,
        result=result,
    )
    return charged, failed


def _emit_chunk_events(
    *,
    changes: Iterable[tuple[int, int, int]],
    blacklisted: list[int],
    now: datetime,
    result: SweepResult,
) -> None:
    """The chunk's events, set-based, in its transaction: days crossings and blacklistings."""
    started = monotonic()
    written = license_days_changed(changes=changes, now=now)
    written += devices_blacklisted(device_ids=blacklisted, reason=NO_VALID_LICENSE, now=now)
    result.events += len(written)
    result.events_seconds += monotonic() - started


# The first candidate of every device in the chunk (same order as billing.deduction).
SQLITE_PICK_SQL = """
SELECT device_id, license_id, customer_id, available_days, charge_days, period_hours
FROM (
    SELECT l.device_id, l.id AS license_id, l.customer_id, l.available_days,
           t.charge_days, t.period_hours,
           ROW_NUMBER() OVER (
               PARTITION BY l.device_id
               ORDER BY l.activated_at IS NULL, l.activated_at, l.bound_at, l.card
           ) AS position
    FROM {license} l JOIN {license_type} t ON t.id = l.type_id
    WHERE l.device_id IN (SELECT value FROM json_each(%s))
      AND l.available_days >= t.charge_days
)
WHERE position = 1
"""


def _charge_chunk_sqlite(
    *, device_ids: list[int], now: datetime, result: SweepResult
) -> tuple[int, int]:
    tables = _tables()
    at = _db_datetime(now)
    with connection.cursor() as cursor:
        cursor.execute(SQLITE_PICK_SQL.format(**tables), [json.dumps(device_ids)])
        picks = cursor.fetchall()
        cursor.executemany(
            f"UPDATE {tables['license']} SET available_days = available_days - %s,"
            " activated_at = COALESCE(activated_at, %s) WHERE id = %s",
            [(charge_days, at, license_id) for _, license_id, _, _, charge_days, _ in picks],
        )
        # A few license types, so a few distinct periods: adapt each window end once.
        end_by_period = {
            period: _db_datetime(now + timedelta(hours=period)) for period in {p[5] for p in picks}
        }
        window_ends = [end_by_period[pick[5]] for pick in picks]
        trigger, success = DeductionTrigger.SWEEP.value, DeductionResult.SUCCESS.value
        cursor.executemany(
            f"UPDATE {tables['device']} SET service_until = %s WHERE id = %s",
            [(end, pick[0]) for pick, end in zip(picks, window_ends, strict=True)],
        )
        cursor.executemany(
            f"INSERT INTO {tables['deduction']} (at, device_id, license_id, customer_id, days,"
            " available_days_after, window_start, window_end, trigger, result, reason)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '')",
            [
                (at, device_id, license_id, owner_id, charge_days, available - charge_days, at)
                + (end, trigger, success)
                for (device_id, license_id, owner_id, available, charge_days, _), end in zip(
                    picks, window_ends, strict=True
                )
            ],
        )
        paid_for = {pick[0] for pick in picks}
        unpaid = [device_id for device_id in device_ids if device_id not in paid_for]
        if unpaid:
            _blacklist_chunk_sqlite(cursor=cursor, tables=tables, device_ids=unpaid, at=at)
    _emit_chunk_events(
        changes=((p[1], p[3], p[3] - p[4]) for p in picks),
        blacklisted=unpaid,
        now=now,
        result=result,
    )
    return len(picks), len(unpaid)


def _blacklist_chunk_sqlite(*, cursor, tables: dict[str, str], device_ids: list[int], at) -> None:
    ids_json = json.dumps(device_ids)
    cursor.execute(
        f"UPDATE {tables['device']} SET blacklisted = 1, blacklisted_at = %s,"
        " blacklist_reason = %s WHERE id IN (SELECT value FROM json_each(%s))",
        [at, NO_VALID_LICENSE, ids_json],
    )
    cursor.execute(
        f"INSERT INTO {tables['deduction']} (at, device_id, license_id, customer_id, days,"
        " available_days_after, window_start, window_end, trigger, result, reason)"
        " SELECT %s, d.id, NULL, d.customer_id, 0, NULL, %s, NULL, %s, %s, %s"
        f" FROM {tables['device']} d WHERE d.id IN (SELECT value FROM json_each(%s))",
        [
            at,
            at,
            DeductionTrigger.SWEEP.value,
            DeductionResult.FAILED.value,
            NO_VALID_LICENSE,
            ids_json,
        ],
    )
    cursor.execute(
        f"INSERT INTO {tables['audit']} (at, actor_id, actor_username, acting_customer_id,"
        " action, target, details, ip_address)"
        " SELECT %s, NULL, '', d.customer_id, %s, d.number, json_object('reason', %s), NULL"
        f" FROM {tables['device']} d WHERE d.id IN (SELECT value FROM json_each(%s))",
        [at, BLACKLIST_ACTION, NO_VALID_LICENSE, ids_json],
    )
