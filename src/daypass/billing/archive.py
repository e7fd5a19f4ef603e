"""Archiving old deductions (SPEC 11): `daypass archive --before DATE`.

1. The ledger is audited (incrementally) and the checkpoint moved to a day ago; an unclean
   ledger is never archived, and DATE must not be after the checkpoint, so every archived
   deduction is already summed in the per-license and per-device checkpoints.
2. Every deduction (successful and failed) with `at` before DATE is written, oldest first, to a
   gzip-compressed CSV file (the API's deduction fields), and the file is flushed to disk.
3. In one transaction: the archived days and latest window ends move into the checkpoints'
   `archived_*` fields (so `daypass audit --full` still proves every ledger), the rows leave
   the per-day roll-up of the lists' counts (billing/deduction_days.py), and they are deleted;
   on PostgreSQL a monthly partition wholly before DATE is dropped instead (billing.partitions),
   so archiving whole months costs no row-by-row delete. A failure leaves the rows where they
   were (the file can be written again).
"""

from __future__ import annotations

import csv
import gzip
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import connection, transaction

from daypass.billing.deduction_days import rollup_remove
from daypass.billing.ledger_audit import (
    Problem,
    _tables,
    ledger_audit,
    ledger_checkpoint_advance,
)
from daypass.billing.models import Deduction, DeductionResult
from daypass.billing.partitions import deduction_partitions_drop_before
from daypass.billing.schemas import DEDUCTION_FIELDS
from daypass.core.errors import DaypassError, ErrorCode

ROWS_PER_FETCH = 10_000


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    path: Path
    rows: int
    through: datetime


class LedgerNotClean(DaypassError):
    def __init__(self, problems: list[Problem]):
        super().__init__(
            ErrorCode.LEDGER_NOT_CLEAN,
            f"The ledger audit found {len(problems)} problem(s); nothing was archived.",
        )
        self.problems = problems


def deductions_archive(*, before: datetime, directory: Path, now: datetime) -> ArchiveResult:
    """Archive every deduction before `before` into a .csv.gz file in `directory`."""
    problems = ledger_audit()
    if problems:
        raise LedgerNotClean(problems)
    through = ledger_checkpoint_advance(now=now)
    if before > through:
        raise DaypassError(
            ErrorCode.VALIDATION_ERROR,
            f"Only deductions before the checkpoint ({through.isoformat()}, a day ago) can be "
            "archived.",
        )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"deductions-before-{before:%Y%m%dT%H%M%SZ}-{now:%Y%m%dT%H%M%S}.csv.gz"
    partial = path.with_suffix(".partial")
    last_id, rows = _write_csv(partial, before=before)
    if rows == 0:
        partial.unlink()
        return ArchiveResult(path=path, rows=0, through=through)
    _remove(before=before, last_id=last_id)
    os.replace(partial, path)
    return ArchiveResult(path=path, rows=rows, through=through)


def _write_csv(path: Path, *, before: datetime) -> tuple[int, int]:
    """Stream the rows to `path`; return (highest id written, rows written)."""
    rows = (
        Deduction.objects.filter(at__lt=before)
        .order_by("at", "id")
        .values_list(
            "id",
            "at",
            "device__number",
            "license__card",
            "customer__number",
            "days",
            "available_days_after",
            "window_start",
            "window_end",
            "trigger",
            "result",
            "reason",
        )
    )
    count = 0
    last_id = 0
    with gzip.open(path, "wt", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(DEDUCTION_FIELDS)
        for row in rows.iterator(chunk_size=ROWS_PER_FETCH):
            writer.writerow(
                [value.isoformat() if isinstance(value, datetime) else value for value in row]
            )
            count += 1
            last_id = max(last_id, row[0])
        stream.flush()
        os.fsync(stream.fileno())
    return last_id, count


@transaction.atomic
def _remove(*, before: datetime, last_id: int) -> None:
    tables = _tables()
    params = [DeductionResult.SUCCESS.value, connection.ops.adapt_datetimefield_value(before)]
    params += [last_id]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE {license_cp} SET archived_days = archived_days + s.days
            FROM (
                SELECT license_id, SUM(days) AS days FROM {deduction}
                WHERE result = %s AND license_id IS NOT NULL AND at < %s AND id <= %s
                GROUP BY license_id
            ) s
            WHERE {license_cp}.license_id = s.license_id
            """.format(**tables),
            params,
        )
        cursor.execute(
            """
            UPDATE {device_cp} SET archived_window_end = CASE
                WHEN archived_window_end IS NULL OR s.window_end > archived_window_end
                THEN s.window_end ELSE archived_window_end END
            FROM (
                SELECT device_id, MAX(window_end) AS window_end FROM {deduction}
                WHERE result = %s AND at < %s AND id <= %s GROUP BY device_id
            ) s
            WHERE {device_cp}.device_id = s.device_id
            """.format(**tables),
            params,
        )
        rollup_remove(cursor, before=before, last_id=last_id)
        # PostgreSQL: whole months before DATE are dropped (instant); the rest is deleted.
        deduction_partitions_drop_before(before=before, last_id=last_id)
        cursor.execute(
            "DELETE FROM {deduction} WHERE at < %s AND id <= %s".format(**tables),
            params[1:],
        )
