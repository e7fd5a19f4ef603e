"""Consumption and forecast (SPEC 13): days deducted per day, and when the days run out.

- `items`: every date of the range (`days` dates ending today, UTC), oldest first, zeros
  included: the days deducted, the successful charges and the failed charges of that date.
- `forecast.daily_days`: the days deducted over the last 28 days (the 28 × 24 hours before
  `now`) / 28.
- `bound_days`: available days of bound licenses; `stock_days`: available days of unbound,
  unlocked, not Expired licenses.
- `stock_runs_out_on`: today + (bound + stock) / daily (whole days, rounded down), or None
  when nothing is consumed.
- `by_type`: the same forecast per license type (types with licenses or deductions in scope).

Deductions are those charged to the selected customer (the license owner at the time), or to
any customer of its subtree with `subtree`; licenses are those it (or its subtree) owns now.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Q, Sum

from daypass.billing.deduction_days import consumed_by_type, consumption_per_day
from daypass.core.tenancy import customer_in_scope, owned_within
from daypass.customers.models import Account, Customer
from daypass.licenses.models import License, LicenseType

RATE_WINDOW_DAYS = 28
CONSUMPTION_DAYS_DEFAULT = 90
CONSUMPTION_DAYS_MAX = 366


def _forecast(*, today: date, consumed: int, bound: int, stock: int) -> dict[str, Any]:
    daily = consumed / RATE_WINDOW_DAYS
    runs_out = None
    if daily:
        try:
            runs_out = today + timedelta(days=(bound + stock) / daily)
        except OverflowError:  # past the year 9999: as good as never
            runs_out = date.max
    return {
        "daily_days": daily,
        "bound_days": bound,
        "stock_days": stock,
        "stock_runs_out_on": runs_out,
    }


def license_consumption(
    actor: Account,
    customer: Customer | str | None,
    *,
    now: datetime,
    days: int = CONSUMPTION_DAYS_DEFAULT,
    subtree: bool = False,
) -> dict[str, Any]:
    """`{"items": [...], "forecast": {...}}` as SPEC 13 defines it."""
    selected = customer_in_scope(actor, customer)
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    scope = owned_within(selected, subtree=subtree)
    # From the per-day roll-up plus the rows since the checkpoint (billing/deduction_days.py):
    # the same figures as grouping the deductions themselves, without reading months of them.
    per_day = consumption_per_day(scope, first=first, end=today + timedelta(days=1))
    items = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = per_day.get(day, {})
        items.append(
            {
                "date": day,
                "days": row.get("days", 0),
                "charges": row.get("charges", 0),
                "failed": row.get("failed", 0),
            }
        )

    consumed = consumed_by_type(scope, after=now - timedelta(days=RATE_WINDOW_DAYS), until=now)
    held_by_type = {
        row["type_id"]: row
        for row in License.objects.filter(owned_within(selected, subtree=subtree))
        .values("type_id")
        .annotate(
            bound=Sum("available_days", filter=Q(device__isnull=False), default=0),
            stock=Sum(
                "available_days",
                filter=Q(device__isnull=True, locked=False, available_days__gt=0),
                default=0,
            ),
        )
        .order_by()
    }
    by_type = []
    totals = {"consumed": 0, "bound": 0, "stock": 0}
    codes = LicenseType.objects.filter(pk__in=set(consumed) | set(held_by_type))
    for type_id, code in codes.order_by("code").values_list("pk", "code"):
        held = held_by_type.get(type_id, {})
        figures = {
            "consumed": consumed.get(type_id, 0),
            "bound": held.get("bound", 0),
            "stock": held.get("stock", 0),
        }
        for key, value in figures.items():
            totals[key] += value
        by_type.append({"type": code, **_forecast(today=today, **figures)})
    return {
        "items": items,
        "forecast": {**_forecast(today=today, **totals), "by_type": by_type},
    }
