"""The ledger audit (SPEC 4.4, 11), behind `daypass audit`.

Three checks, each one set-based SQL statement:
- every license: total days - available days = the days of its successful deductions;
- every license: total days = issued days + its top-ups (the TopUp ledger);
- every device: no two successful deductions whose windows [start, end) overlap.

Incremental (the default): the deductions before the checkpoint's `through` instant were proven
by an earlier audit and are summed in the per-license and per-device checkpoints
(`billing.models.LicenseCheckpoint`, `DeviceCheckpoint`), so only the deductions from `through`
on are read (a BRIN index on PostgreSQL finds them). `full=True` reads every deduction still in
the table, adds the archived part kept in the checkpoints, and also checks every checkpoint
against the rows it summarises, so a row tampered with behind a checkpoint is found too.

`ledger_checkpoint_advance` moves the checkpoint forward after a clean audit (`daypass audit`
does it): deductions older than a day are summed into the checkpoints in one transaction, and
into the per-day roll-up the lists and the consumption chart read (billing/deduction_days.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction

from daypass.billing.deduction_days import rollup_add
from daypass.billing.models import (
    Deduction,
    DeductionResult,
    DeviceCheckpoint,
    LedgerCheckpoint,
    LicenseCheckpoint,
)
from daypass.devices.models import Device
from daypass.licenses.models import License, TopUp

LICENSE_DEDUCTIONS_MISMATCH = "license_deductions_mismatch"
LICENSE_TOP_UPS_MISMATCH = "license_top_ups_mismatch"
DEVICE_WINDOWS_OVERLAP = "device_windows_overlap"
LICENSE_CHECKPOINT_MISMATCH = "license_checkpoint_mismatch"
DEVICE_CHECKPOINT_MISMATCH = "device_checkpoint_mismatch"

# A checkpoint covers deductions at least this old: no transaction that writes a deduction runs
# that long, so nothing can still appear behind it.
CHECKPOINT_LAG = timedelta(days=1)
# Before any checkpoint: everything is read.
BEGINNING = datetime(1, 1, 2).astimezone()


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str
    subject: str  # a card number or a device number
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}: {self.message}"


def ledger_checkpoint() -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.order_by("pk").first()


def ledger_audit(*, full: bool = False) -> list[Problem]:
    checkpoint = ledger_checkpoint()
    through = checkpoint.through if checkpoint is not None else BEGINNING
    problems = [
        *_license_deduction_problems(through=through, full=full),
        *_license_top_up_problems(),
        *_overlap_problems(through=through, full=full),
    ]
    if full and checkpoint is not None:
        problems += [*_license_checkpoint_problems(through), *_device_checkpoint_problems(through)]
    return problems


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "license": quote(License._meta.db_table),
        "deduction": quote(Deduction._meta.db_table),
        "top_up": quote(TopUp._meta.db_table),
        "device": quote(Device._meta.db_table),
        "license_cp": quote(LicenseCheckpoint._meta.db_table),
        "device_cp": quote(DeviceCheckpoint._meta.db_table),
    }


def _rows(sql: str, params: list) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        yield from cursor.fetchall()


def _db(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _license_deduction_problems(*, through: datetime, full: bool) -> Iterator[Problem]:
    # Incremental: the checkpoint's days + the deductions since. Full: the archived days + every
    # deduction still in the table.
    before = "cp.archived_days" if full else "cp.days"
    since = "" if full else "AND at >= %s"
    sql = f"""
        SELECT l.card, l.total_days, l.available_days,
               COALESCE({before}, 0) + COALESCE(s.days, 0)
        FROM {{license}} l
        LEFT JOIN {{license_cp}} cp ON cp.license_id = l.id
        LEFT JOIN (
            SELECT license_id, SUM(days) AS days FROM {{deduction}}
            WHERE result = %s AND license_id IS NOT NULL {since} GROUP BY license_id
        ) s ON s.license_id = l.id
        WHERE l.total_days - l.available_days <> COALESCE({before}, 0) + COALESCE(s.days, 0)
        ORDER BY l.card"""
    params = [DeductionResult.SUCCESS.value] + ([] if full else [_db(through)])
    for card, total, available, deducted in _rows(sql, params):
        yield Problem(
            LICENSE_DEDUCTIONS_MISMATCH,
            card,
            f"total {total} - available {available} = {total - available}, "
            f"but its successful deductions took {deducted} days",
        )


def _license_top_up_problems() -> Iterator[Problem]:
    sql = """
        SELECT l.card, l.total_days, l.issued_days, COALESCE(s.days, 0)
        FROM {license} l
        LEFT JOIN (SELECT license_id, SUM(days) AS days FROM {top_up} GROUP BY license_id) s
          ON s.license_id = l.id
        WHERE l.total_days <> l.issued_days + COALESCE(s.days, 0)
        ORDER BY l.card"""
    for card, total, issued, topped_up in _rows(sql, []):
        yield Problem(
            LICENSE_TOP_UPS_MISMATCH,
            card,
            f"total {total}, but issued {issued} + top-ups {topped_up} = {issued + topped_up}",
        )


def _overlap_problems(*, through: datetime, full: bool) -> Iterator[Problem]:
    # For each successful deduction, the latest end of the device's earlier windows: if it is
    # after this window's start, the two overlap (covers a long window spanning several). The
    # windows before the ones read are summed up by the device's checkpoint.
    before = "cp.archived_window_end" if full else "cp.window_end"
    since = "" if full else "AND at >= %s"
    sql = f"""
        SELECT dev.number, w.id, w.window_start,
               CASE WHEN w.previous_end > w.window_start THEN w.previous_end ELSE {before} END
        FROM (
            SELECT id, device_id, window_start,
                   MAX(window_end) OVER (
                       PARTITION BY device_id ORDER BY window_start, id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                   ) AS previous_end
            FROM {{deduction}} WHERE result = %s {since}
        ) w
        JOIN {{device}} dev ON dev.id = w.device_id
        LEFT JOIN {{device_cp}} cp ON cp.device_id = w.device_id
        WHERE w.previous_end > w.window_start OR {before} > w.window_start
        ORDER BY dev.number, w.window_start"""
    params = [DeductionResult.SUCCESS.value] + ([] if full else [_db(through)])
    for number, deduction_id, start, previous_end in _rows(sql, params):
        yield Problem(
            DEVICE_WINDOWS_OVERLAP,
            number,
            f"deduction {deduction_id} starts at {start} before an earlier window ends at "
            f"{previous_end}",
        )


def _license_checkpoint_problems(through: datetime) -> Iterator[Problem]:
    """Full audit: each license checkpoint = archived days + the rows it sums up."""
    sql = """
        SELECT l.card, cp.days, cp.archived_days + COALESCE(s.days, 0)
        FROM {license_cp} cp JOIN {license} l ON l.id = cp.license_id
        LEFT JOIN (
            SELECT license_id, SUM(days) AS days FROM {deduction}
            WHERE result = %s AND license_id IS NOT NULL AND at < %s GROUP BY license_id
        ) s ON s.license_id = cp.license_id
        WHERE cp.days <> cp.archived_days + COALESCE(s.days, 0)
        ORDER BY l.card"""
    for card, recorded, summed in _rows(sql, [DeductionResult.SUCCESS.value, _db(through)]):
        yield Problem(
            LICENSE_CHECKPOINT_MISMATCH,
            card,
            f"its checkpoint holds {recorded} days, but its deductions before the checkpoint "
            f"(archived included) took {summed}",
        )


def _device_checkpoint_problems(through: datetime) -> Iterator[Problem]:
    """Full audit: each device checkpoint's window end = the latest of the rows it sums up."""
    # The expected end: the later of the archived end and the stored rows' latest end. Compared
    # in SQL, where both sides have the same type on every database.
    expected = """CASE WHEN s.window_end IS NULL THEN cp.archived_window_end
                       WHEN cp.archived_window_end IS NULL
                            OR s.window_end > cp.archived_window_end THEN s.window_end
                       ELSE cp.archived_window_end END"""
    sql = f"""
        SELECT dev.number, cp.window_end, {expected}
        FROM {{device_cp}} cp JOIN {{device}} dev ON dev.id = cp.device_id
        LEFT JOIN (
            SELECT device_id, MAX(window_end) AS window_end FROM {{deduction}}
            WHERE result = %s AND at < %s GROUP BY device_id
        ) s ON s.device_id = cp.device_id
        WHERE NOT (cp.window_end = {expected}
                   OR (cp.window_end IS NULL AND {expected} IS NULL))
        ORDER BY dev.number"""
    for number, recorded, expected_end in _rows(sql, [DeductionResult.SUCCESS.value, _db(through)]):
        yield Problem(
            DEVICE_CHECKPOINT_MISMATCH,
            number,
            f"its checkpoint ends at {recorded}, but its windows before the checkpoint "
            f"(archived included) end at {expected_end}",
        )


@transaction.atomic
def ledger_checkpoint_advance(*, now: datetime, through: datetime | None = None) -> datetime:
    """Sum the deductions from the current checkpoint up to `through` (default: a day before
    `now`) into the per-license and per-device checkpoints; return the new `through`.

    Call it after a clean audit. It never moves backwards, and never closer to `now` than
    CHECKPOINT_LAG, so no deduction still being written can land behind it.
    """
    target = min(through or now, now - CHECKPOINT_LAG)
    checkpoint = LedgerCheckpoint.objects.select_for_update().order_by("pk").first()
    start = checkpoint.through if checkpoint is not None else BEGINNING
    if target <= start:
        return start
    tables = _tables()
    success = DeductionResult.SUCCESS.value
    range_params = [success, _db(start), _db(target)]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO {license_cp} (license_id, days, archived_days)
            SELECT license_id, SUM(days), 0 FROM {deduction}
            WHERE result = %s AND license_id IS NOT NULL AND at >= %s AND at < %s
            GROUP BY license_id
            ON CONFLICT (license_id) DO UPDATE SET days = {license_cp}.days + excluded.days
            """.format(**tables),
            range_params,
        )
        cursor.execute(
            """
            INSERT INTO {device_cp} (device_id, window_end, archived_window_end)
            SELECT device_id, MAX(window_end), NULL FROM {deduction}
            WHERE result = %s AND at >= %s AND at < %s
            GROUP BY device_id
            ON CONFLICT (device_id) DO UPDATE SET window_end = CASE
                WHEN {device_cp}.window_end IS NULL OR excluded.window_end > {device_cp}.window_end
                THEN excluded.window_end ELSE {device_cp}.window_end END
            """.format(**tables),
            range_params,
        )
        # The reads' roll-up (counts per customer and day) moves with the checkpoint.
        rollup_add(cursor, start=start, end=target)
    if checkpoint is None:
        LedgerCheckpoint.objects.create(through=target, updated_at=now)
    else:
        checkpoint.through = target
        checkpoint.updated_at = now
        checkpoint.save(update_fields=["through", "updated_at"])
    return target
