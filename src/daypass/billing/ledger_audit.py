"""The ledger audit (SPEC 4.4), behind `daypass audit`.

Three checks, each one set-based SQL statement over the whole database:
- every license: total days - available days = the days of its successful deductions;
- every license: total days = issued days + its top-ups (the TopUp ledger);
- every device: no two successful deductions whose windows [start, end) overlap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

from daypass.billing.models import Deduction, DeductionResult
from daypass.devices.models import Device
from daypass.licenses.models import License, TopUp

LICENSE_DEDUCTIONS_MISMATCH = "license_deductions_mismatch"
LICENSE_TOP_UPS_MISMATCH = "license_top_ups_mismatch"
DEVICE_WINDOWS_OVERLAP = "device_windows_overlap"


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str
    subject: str  # a card number or a device number
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}: {self.message}"


def ledger_audit() -> list[Problem]:
    return [*_license_deduction_problems(), *_license_top_up_problems(), *_overlap_problems()]


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "license": quote(License._meta.db_table),
        "deduction": quote(Deduction._meta.db_table),
        "top_up": quote(TopUp._meta.db_table),
        "device": quote(Device._meta.db_table),
    }


def _rows(sql: str, params: list) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        yield from cursor.fetchall()


def _license_deduction_problems() -> Iterator[Problem]:
    sql = """
        SELECT l.card, l.total_days, l.available_days, COALESCE(s.days, 0)
        FROM {license} l
        LEFT JOIN (
            SELECT license_id, SUM(days) AS days FROM {deduction}
            WHERE result = %s AND license_id IS NOT NULL GROUP BY license_id
        ) s ON s.license_id = l.id
        WHERE l.total_days - l.available_days <> COALESCE(s.days, 0)
        ORDER BY l.card"""
    for card, total, available, deducted in _rows(sql, [DeductionResult.SUCCESS.value]):
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


def _overlap_problems() -> Iterator[Problem]:
    # For each successful deduction, the latest end of the device's earlier windows: if it is
    # after this window's start, the two overlap (covers a long window spanning several).
    sql = """
        SELECT dev.number, w.id, w.window_start, w.previous_end
        FROM (
            SELECT id, device_id, window_start,
                   MAX(window_end) OVER (
                       PARTITION BY device_id ORDER BY window_start, id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                   ) AS previous_end
            FROM {deduction} WHERE result = %s
        ) w
        JOIN {device} dev ON dev.id = w.device_id
        WHERE w.previous_end > w.window_start
        ORDER BY dev.number, w.window_start"""
    for number, deduction_id, start, previous_end in _rows(sql, [DeductionResult.SUCCESS.value]):
        yield Problem(
            DEVICE_WINDOWS_OVERLAP,
            number,
            f"deduction {deduction_id} starts at {start} before an earlier window ends at "
            f"{previous_end}",
        )
