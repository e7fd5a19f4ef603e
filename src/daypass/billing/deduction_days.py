"""The deductions per customer and UTC day (SPEC 11, 13): cheap counts, deep pages, the chart.

Counting or grouping tens of millions of deductions on every page is what made a big customer's
deduction list and consumption chart slow. The roll-up tables `DeductionDay` (charges, days,
failed per customer and day) and `DeductionDayType` (days per customer, day and license type)
hold every deduction before the ledger checkpoint's `through` instant that is still in the
table:

- `ledger_checkpoint_advance` adds each proven stretch to them, set-based, in its transaction
  (`rollup_add`): nothing is written on the gate's or the sweep's path;
- `daypass archive` subtracts the rows it removes, in the transaction that removes them
  (`rollup_remove`);
- migration billing/0005 filled them for a database that already had a checkpoint.

A read adds the rows since `through` (at most a day or two when `daypass audit` runs daily,
found by the `(customer, at)` index) to the roll-up's rows, so its figures equal those of the
table itself. Days are UTC days, as the chart's and the date filters' are.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from daypass.billing.models import (
    Deduction,
    DeductionDay,
    DeductionDayType,
    DeductionResult,
    LedgerCheckpoint,
)
from daypass.licenses.models import License

BEGINNING = datetime(1, 1, 2, tzinfo=UTC)


def _quote(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _day_of(column: str) -> str:
    """SQL: the UTC day of a deduction's instant."""
    if connection.vendor == "postgresql":
        return f"({column} AT TIME ZONE 'UTC')::date"
    return f"date({column})"  # SQLite keeps instants as UTC text


def _tables() -> dict[str, str]:
    return {
        "deduction": _quote(Deduction),
        "license": _quote(License),
        "day": _quote(DeductionDay),
        "day_type": _quote(DeductionDayType),
    }


def _db(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def rollup_add(cursor, *, start: datetime, end: datetime) -> None:
    """Add the deductions with `start` <= at < `end` to the roll-up (two set-based upserts)."""
    tables = _tables()
    success = DeductionResult.SUCCESS.value
    cursor.execute(
        """
        INSERT INTO {day} (customer_id, day, charges, days, failed)
        SELECT customer_id, {day_of_at},
               SUM(CASE WHEN result = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN result = %s THEN days ELSE 0 END),
               SUM(CASE WHEN result = %s THEN 0 ELSE 1 END)
        FROM {deduction} WHERE at >= %s AND at < %s
        GROUP BY customer_id, {day_of_at}
        ON CONFLICT (customer_id, day) DO UPDATE SET
            charges = {day}.charges + excluded.charges,
            days = {day}.days + excluded.days,
            failed = {day}.failed + excluded.failed
        """.format(day_of_at=_day_of("at"), **tables),
        [success, success, success, _db(start), _db(end)],
    )
    cursor.execute(
        """
        INSERT INTO {day_type} (customer_id, day, license_type_id, days)
        SELECT d.customer_id, {day_of_at}, l.type_id, SUM(d.days)
        FROM {deduction} d JOIN {license} l ON l.id = d.license_id
        WHERE d.result = %s AND d.at >= %s AND d.at < %s
        GROUP BY d.customer_id, {day_of_at}, l.type_id
        ON CONFLICT (customer_id, day, license_type_id) DO UPDATE SET
            days = {day_type}.days + excluded.days
        """.format(day_of_at=_day_of("d.at"), **tables),
        [success, _db(start), _db(end)],
    )


def rollup_remove(cursor, *, before: datetime, last_id: int) -> None:
    """Subtract the deductions that `daypass archive` removes (at < `before`, id <= `last_id`),
    in its transaction, before it deletes them; drop the days left empty."""
    tables = _tables()
    success = DeductionResult.SUCCESS.value
    cursor.execute(
        """
        UPDATE {day} SET charges = {day}.charges - s.charges, days = {day}.days - s.days,
                         failed = {day}.failed - s.failed
        FROM (
            SELECT customer_id, {day_of_at} AS day,
                   SUM(CASE WHEN result = %s THEN 1 ELSE 0 END) AS charges,
                   SUM(CASE WHEN result = %s THEN days ELSE 0 END) AS days,
                   SUM(CASE WHEN result = %s THEN 0 ELSE 1 END) AS failed
            FROM {deduction} WHERE at < %s AND id <= %s GROUP BY customer_id, {day_of_at}
        ) s
        WHERE {day}.customer_id = s.customer_id AND {day}.day = s.day
        """.format(day_of_at=_day_of("at"), **tables),
        [success, success, success, _db(before), last_id],
    )
    cursor.execute(
        """
        UPDATE {day_type} SET days = {day_type}.days - s.days
        FROM (
            SELECT d.customer_id, {day_of_at} AS day, l.type_id, SUM(d.days) AS days
            FROM {deduction} d JOIN {license} l ON l.id = d.license_id
            WHERE d.result = %s AND d.at < %s AND d.id <= %s
            GROUP BY d.customer_id, {day_of_at}, l.type_id
        ) s
        WHERE {day_type}.customer_id = s.customer_id AND {day_type}.day = s.day
          AND {day_type}.license_type_id = s.type_id
        """.format(day_of_at=_day_of("d.at"), **tables),
        [success, _db(before), last_id],
    )
    cursor.execute("DELETE FROM {day} WHERE charges = 0 AND failed = 0".format(**tables))
    cursor.execute("DELETE FROM {day_type} WHERE days = 0".format(**tables))


# --- reads ----------------------------------------------------------------------------------


def rolled_through() -> datetime:
    """The instant before which the roll-up holds every deduction (the ledger checkpoint)."""
    through = LedgerCheckpoint.objects.order_by("pk").values_list("through", flat=True).first()
    return through if through is not None else BEGINNING


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _aligned_day(instant: datetime) -> date | None:
    """The UTC day that starts at `instant`, or None if it is not a UTC midnight."""
    utc = instant.astimezone(UTC)
    return utc.date() if utc.timetz() == time.min.replace(tzinfo=UTC) else None


def day_bounds(
    low: tuple[datetime, bool] | None, high: tuple[datetime, bool] | None
) -> tuple[date | None, date | None] | None:
    """The date filters as whole UTC days [first, end), or None when a bound cuts a day
    (an instant that is not a midnight, or an inclusive upper bound): the roll-up cannot
    answer those. `low`, `high`: the filters' cleaned `(instant, inclusive)` values."""
    first = end = None
    if low is not None:
        first = _aligned_day(low[0])
        if first is None:
            return None
    if high is not None:
        instant, inclusive = high
        end = _aligned_day(instant)
        if end is None or inclusive:
            return None
    return first, end


def day_counts(
    scope: Q,
    *,
    result: str | None = None,
    first: date | None = None,
    end: date | None = None,
) -> dict[date, int]:
    """Deductions per UTC day in `scope` (a condition on `customer`), of `result` if given,
    on the days `first` <= day < `end`: the roll-up's rows plus the table's rows since the
    checkpoint. Days without deductions are left out."""
    through = rolled_through()
    column = {"success": "charges", "failed": "failed"}.get(result or "")
    rolled = DeductionDay.objects.filter(scope)
    live = Deduction.objects.filter(scope, at__gte=through)
    if result:
        live = live.filter(result=result)
    if first is not None:
        rolled = rolled.filter(day__gte=first)
        live = live.filter(at__gte=start_of(first))
    if end is not None:
        rolled = rolled.filter(day__lt=end)
        live = live.filter(at__lt=start_of(end))
    counts: dict[date, int] = {}
    total = Sum(column) if column else Sum("charges") + Sum("failed")
    for day, rows in rolled.values("day").annotate(n=total).order_by().values_list("day", "n"):
        if rows:
            counts[day] = counts.get(day, 0) + rows
    grouped = live.annotate(day=TruncDate("at", tzinfo=UTC)).values("day")
    for day, rows in grouped.annotate(n=Count("pk")).order_by().values_list("day", "n"):
        counts[day] = counts.get(day, 0) + rows
    return counts


def consumption_per_day(scope: Q, *, first: date, end: date) -> dict[date, dict[str, int]]:
    """`{day: {"days", "charges", "failed"}}` for `first` <= day < `end` (days with
    deductions only)."""
    through = rolled_through()
    per_day: dict[date, dict[str, int]] = {}

    def add(day: date, days: int, charges: int, failed: int) -> None:
        row = per_day.setdefault(day, {"days": 0, "charges": 0, "failed": 0})
        row["days"] += days
        row["charges"] += charges
        row["failed"] += failed

    rolled = (
        DeductionDay.objects.filter(scope, day__gte=first, day__lt=end)
        .values("day")
        .annotate(d=Sum("days"), c=Sum("charges"), f=Sum("failed"))
        .order_by()
        .values_list("day", "d", "c", "f")
    )
    for row in rolled:
        add(*row)
    live = (
        Deduction.objects.filter(scope, at__gte=max(through, start_of(first)), at__lt=start_of(end))
        .annotate(day=TruncDate("at", tzinfo=UTC))
        .values("day")
        .annotate(
            d=Sum("days", filter=Q(result=DeductionResult.SUCCESS), default=0),
            c=Count("pk", filter=Q(result=DeductionResult.SUCCESS)),
            f=Count("pk", filter=Q(result=DeductionResult.FAILED)),
        )
        .order_by()
        .values_list("day", "d", "c", "f")
    )
    for row in live:
        add(*row)
    return per_day


def consumed_by_type(scope: Q, *, after: datetime, until: datetime) -> dict[int, int]:
    """`{license type id: days}` of the successful deductions in `scope` with
    `after` < at <= `until`: whole UTC days inside from the roll-up, the rest from the table."""
    through = rolled_through()
    first_whole = after.astimezone(UTC).date() + timedelta(days=1)
    end_whole = max(first_whole, until.astimezone(UTC).date())  # days before `until`'s day
    # The roll-up answers [start(first_whole), covered); the table the rest of (after, until].
    covered = max(start_of(first_whole), min(start_of(end_whole), through))
    consumed: dict[int, int] = {}
    rolled = (
        DeductionDayType.objects.filter(scope, day__gte=first_whole, day__lt=end_whole)
        .values("license_type_id")
        .annotate(n=Sum("days"))
        .order_by()
        .values_list("license_type_id", "n")
    )
    for type_id, days in rolled:
        consumed[type_id] = consumed.get(type_id, 0) + days
    rest = Deduction.objects.filter(
        scope,
        Q(at__lt=start_of(first_whole)) | Q(at__gte=covered),
        result=DeductionResult.SUCCESS,
        at__gt=after,
        at__lte=until,
    )
    live = rest.values("license__type_id").annotate(n=Sum("days", default=0)).order_by()
    for type_id, days in live.values_list("license__type_id", "n"):
        consumed[type_id] = consumed.get(type_id, 0) + days
    return consumed


def page_window(counts: dict[date, int], start: int, stop: int) -> tuple[date, date, int] | None:
    """For rows `start`..`stop` of a newest-first list with `counts` rows per day: the days
    [first, end) that hold them and the offset of row `start` among those days' rows; None
    past the end."""
    days = sorted(counts, reverse=True)
    skipped = index = 0
    while index < len(days) and skipped + counts[days[index]] <= start:
        skipped += counts[days[index]]
        index += 1
    if index == len(days):
        return None
    newest = days[index]
    covered = skipped
    while index < len(days):
        covered += counts[days[index]]
        if covered >= stop:
            break
        index += 1
    first = days[min(index, len(days) - 1)]
    return first, newest + timedelta(days=1), start - skipped


def window_rows(queryset: QuerySet, window: tuple[date, date, int], size: int) -> QuerySet:
    """The deductions of `queryset` in a `page_window`, from its offset: `size` of them."""
    first, end, offset = window
    return queryset.filter(at__gte=start_of(first), at__lt=start_of(end))[offset : offset + size]
