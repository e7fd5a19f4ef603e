"""The per-day roll-up (billing/deduction_days.py): the deduction lists' counts and pages and the
consumption chart equal what the deductions table itself says, after charges, after checkpoints
(one cutting a day in two), after an archive (also cutting a day) and with new charges since."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.test.utils import CaptureQueriesContext

from daypass.billing.archive import deductions_archive
from daypass.billing.consumption import RATE_WINDOW_DAYS, _forecast, license_consumption
from daypass.billing.deduction import device_charge
from daypass.billing.ledger_audit import ledger_audit, ledger_checkpoint_advance
from daypass.billing.models import Deduction, DeductionDay, DeductionResult
from daypass.billing.selectors import deduction_records
from daypass.billing.sweep import sweep_run
from daypass.core.prepared import PREPARE_THRESHOLD
from daypass.core.tenancy import customer_in_scope, owned_within
from daypass.licenses.models import License, LicenseType
from tests import factories
from tests.api.conftest import ApiClient, token_of
from tests.billing.conftest import DAY, HOUR, NOW, bound_license

MIDNIGHT = datetime(2026, 11, 3, tzinfo=UTC)  # NOW is 2026-11-01 12:00


@pytest.fixture
def fleets(db):
    """A distributor with two fleets; five devices charged daily (the sweep's rows share one
    instant a day) on two license types, and failed deductions, some exactly at midnight."""
    platform = factories.make_customer(name="Platform")
    distributor = factories.make_customer(parent=platform, name="Distributor")
    fleet_a = factories.make_customer(parent=distributor, name="Fleet A")
    fleet_b = factories.make_customer(parent=distributor, name="Fleet B")
    model = factories.make_device_model()
    types = [factories.make_license_type(models=[model]) for _ in range(2)]
    devices = []
    for i, owner in enumerate([fleet_a, fleet_a, fleet_a, fleet_b, fleet_b]):
        device = factories.make_device(customer=owner, model=model)
        bound_license(device=device, type=types[i % 2])
        device_charge(device=device, now=NOW + i * HOUR, trigger="report")
        devices.append(device)
    for day in range(1, 9):
        sweep_run(now=NOW + day * DAY + 6 * HOUR)
    for at in (MIDNIGHT, MIDNIGHT + 3 * DAY, NOW + 4 * DAY + 13 * HOUR, MIDNIGHT + 6 * DAY):
        for device in (devices[2], devices[4]):
            Deduction.objects.create(
                at=at,
                device=device,
                customer=device.customer,
                window_start=at,
                trigger="report",
                result=DeductionResult.FAILED,
                reason="no_valid_license",
            )
    account = factories.make_account(distributor, "admin")
    return account, distributor, fleet_a, fleet_b, devices


def stages(fleets, tmp_path):
    """Yield a label after each step of a ledger's life."""
    yield "charges, no checkpoint"
    ledger_checkpoint_advance(now=NOW + 30 * DAY, through=NOW + 3 * DAY + HOUR)
    yield "checkpoint inside a day"
    ledger_checkpoint_advance(now=NOW + 30 * DAY, through=NOW + 5 * DAY + 13 * HOUR)
    yield "second checkpoint"
    deductions_archive(before=NOW + 2 * DAY, directory=tmp_path, now=NOW + 6 * DAY + 20 * HOUR)
    yield "archive (before a midday)"
    sweep_run(now=NOW + 9 * DAY + 6 * HOUR)
    yield "charges since the archive"
    assert ledger_audit(full=True) == []


def filter_cases(devices):
    device, card = devices[1].number, License.objects.get(device=devices[3]).card
    return [
        {},
        {"result": "success"},
        {"result": "failed"},
        {"date_from": "2026-11-03"},
        {"date_to": "2026-11-05"},
        {"date_from": "2026-11-02", "date_to": "2026-11-06", "result": "failed"},
        {"date_from": "2026-11-03T00:00:00Z", "date_to": "2026-11-07T00:00:00Z"},
        {"date_from": "2026-11-03T05:00:00Z"},  # inside a day: an exact COUNT(*)
        {"date_to": "2026-11-07T00:00:00Z"},  # an inclusive instant: exact too
        {"device": device},
        {"card": card},
    ]


def test_counts_and_pages_equal_the_table_through_a_ledgers_life(fleets, tmp_path):
    account, distributor, fleet_a, fleet_b, devices = fleets
    scopes = [(distributor, True), (fleet_a, False), (fleet_b, False), (distributor, False)]
    for stage in stages(fleets, tmp_path):
        for customer, subtree in scopes:
            for filters in filter_cases(devices):
                records = deduction_records(account, customer.number, filters, subtree=subtree)
                expected = list(records.rows)
                where = (stage, customer.name, subtree, filters)
                assert records.count() == len(expected), where
                paged = []
                for start in range(0, len(expected) + 3, 3):
                    paged += records[start : start + 3]
                assert [d.pk for d in paged] == [d.pk for d in expected], where
                assert records[len(expected) : len(expected) + 5] == [], where
                assert [d.pk for d in records[2:]] == [d.pk for d in expected[2:]], where


def test_the_rollup_is_used_when_the_filters_allow_it(fleets):
    account, distributor, *_ = fleets
    ledger_checkpoint_advance(now=NOW + 30 * DAY)
    assert DeductionDay.objects.exists()

    assert deduction_records(account, None, {"result": "failed"}).per_day() is not None
    assert deduction_records(account, None, {"date_from": "2026-11-02"}).per_day() is not None
    for inexact in ({"date_from": "2026-11-02T01:00:00Z"}, {"device": "X"}, {"card": "X"}):
        assert deduction_records(account, None, inexact).per_day() is None


def test_the_api_pages_and_counts_from_the_rollup(fleets):
    account, distributor, fleet_a, *_ = fleets
    ledger_checkpoint_advance(now=NOW + 30 * DAY, through=NOW + 4 * DAY + HOUR)
    client = ApiClient(token_of(account))
    expected = list(
        Deduction.objects.filter(customer=fleet_a).order_by("-at", "-id").values_list("pk")
    )
    seen = []
    for page in range(1, 6):
        body = client.get(
            "/deductions", {"customer": fleet_a.number, "page": page, "page_size": 7}
        ).json()
        assert body["count"] == len(expected)
        seen += [item["id"] for item in body["items"]]
    assert seen == [pk for (pk,) in expected]


def test_the_console_pages_from_the_rollup(fleets, client):
    account, distributor, *_ = fleets
    ledger_checkpoint_advance(now=NOW + 30 * DAY, through=NOW + 4 * DAY + HOUR)
    client.force_login(account)
    rows = Deduction.objects.filter(customer__parent=distributor)
    response = client.get(
        "/deduction-records/", {"customer": distributor.number, "subtree": "true", "page": 2}
    )
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == rows.count()
    page = [d.pk for d in response.context["page_obj"].object_list]
    size = response.context["page_obj"].paginator.per_page
    assert page == [pk for (pk,) in rows.order_by("-at", "-id").values_list("pk")][size : 2 * size]


# --- consumption ---------------------------------------------------------------------------------


def direct_consumption(actor, customer, *, now, days, subtree):
    """The chart and forecast computed from the deductions table alone (the definition)."""
    selected = customer_in_scope(actor, customer)
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    deductions = Deduction.objects.filter(owned_within(selected, subtree=subtree))
    success, failed = Q(result="success"), Q(result="failed")
    per_day = {
        row["day"]: row
        for row in deductions.filter(at__gte=start, at__lt=start + days * DAY)
        .annotate(day=TruncDate("at", tzinfo=UTC))
        .values("day")
        .annotate(
            days=Sum("days", filter=success, default=0),
            charges=Count("pk", filter=success),
            failed=Count("pk", filter=failed),
        )
        .order_by()
    }
    items = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = per_day.get(day, {})
        items.append(
            {key: row.get(key, 0) for key in ("days", "charges", "failed")} | {"date": day}
        )
    recent = deductions.filter(success, at__gt=now - RATE_WINDOW_DAYS * DAY, at__lte=now)
    consumed = dict(
        recent.values("license__type_id")
        .annotate(n=Sum("days"))
        .values_list("license__type_id", "n")
    )
    held = {
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
    by_type, totals = [], {"consumed": 0, "bound": 0, "stock": 0}
    codes = LicenseType.objects.filter(pk__in=set(consumed) | set(held)).order_by("code")
    for type_id, code in codes.values_list("pk", "code"):
        figures = {
            "consumed": consumed.get(type_id, 0),
            "bound": held.get(type_id, {}).get("bound", 0),
            "stock": held.get(type_id, {}).get("stock", 0),
        }
        for key, value in figures.items():
            totals[key] += value
        by_type.append({"type": code, **_forecast(today=today, **figures)})
    return {"items": items, "forecast": {**_forecast(today=today, **totals), "by_type": by_type}}


def test_consumption_equals_the_direct_computation_through_a_ledgers_life(fleets, tmp_path):
    account, distributor, fleet_a, fleet_b, _ = fleets
    moments = [
        NOW + 9 * DAY + 7 * HOUR,  # inside a day
        MIDNIGHT + 7 * DAY,  # a midnight
        NOW + 29 * DAY + 2 * HOUR,  # the rate window starts inside the history
        NOW + 4 * DAY + 13 * HOUR,  # the moment of two failed rows
    ]
    scopes = [(distributor, True), (fleet_a, False), (fleet_b, False)]
    for stage in stages(fleets, tmp_path):
        for customer, subtree in scopes:
            for now in moments:
                for days in (1, 5, 90):
                    figures = license_consumption(
                        account, customer.number, now=now, days=days, subtree=subtree
                    )
                    expected = direct_consumption(
                        account, customer.number, now=now, days=days, subtree=subtree
                    )
                    assert figures == expected, (stage, customer.name, now, days)
                    if stage == "charges since the archive" and now == moments[0] and days == 90:
                        assert sum(item["charges"] for item in figures["items"]) > 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="prepared statements are PostgreSQL's: on SQLite the lists read through the ORM",
)
def test_a_device_or_card_list_is_prepared_on_its_connection(fleets):
    """One device's or license's list has no bound on `at`: on PostgreSQL its count and its
    page's keys are prepared statements (core/prepared.py), one for every page of every device
    or license, so a connection that served such lists a few times stops planning them over
    every monthly partition; the answers stay exact and the logged queries readable."""
    account, distributor, fleet_a, fleet_b, devices = fleets
    card = License.objects.get(device=devices[3]).card
    for filters in ({"device": devices[1].number}, {"card": card}):
        expected = list(deduction_records(account, None, filters).rows)
        for run in range(PREPARE_THRESHOLD + 1):
            records = deduction_records(account, None, filters)
            start = run % 3  # pages that start anywhere are one statement
            with CaptureQueriesContext(connection) as queries:
                assert records.count() == len(expected)
                page = records[start : start + 3]
            assert [d.pk for d in page] == [d.pk for d in expected[start : start + 3]]
        assert "COUNT(*)" in queries.captured_queries[0]["sql"]
        assert all(query["sql"] for query in queries.captured_queries)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [statement for (statement,) in cursor.fetchall()]
    counts = [s for s in statements if s.startswith("SELECT COUNT(*) FROM (SELECT")]
    keys = [s for s in statements if "ORDER BY" in s and s.endswith("LIMIT $3 OFFSET $4")]
    assert len(counts) == 2 and len(keys) == 2, statements


def test_a_device_list_reads_the_device_history_index(fleets):
    """A device's count and page keys need nothing outside the index (device, at, id,
    customer): on SQLite a covering index; on PostgreSQL each month's copy of it (an index-only
    scan once the month is vacuumed, bench/history.py)."""
    account, distributor, fleet_a, fleet_b, devices = fleets
    records = deduction_records(account, fleet_a.number, {"device": devices[1].number})
    for queryset in (records.rows.order_by().values("pk"), records.rows.values_list("pk", "at")):
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE billing_deduction")  # a few rows: tell the planner
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
                cursor.execute("EXPLAIN " + sql, params)
                index = "device_id_at_id_customer_id_idx"
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                index = "COVERING INDEX deduction_device_history"
            plan = "\n".join(str(row) for row in cursor.fetchall())
        assert index in plan, plan
