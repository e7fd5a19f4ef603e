"""A dedicated benchmark database, rebuilt from scratch, and a fast bulk loader.

Shared by every benchmark script; the console's tree at scale (`load_console_tree`: a fleet
owning a million licenses, a thousand customers, 90 days of charges) by bench/pages.py and
bench/api_lists.py. The database named in DATABASE_URL is DROPPED and
recreated, so its name must contain "bench" (e.g. postgres://postgres@127.0.0.1:5432/daypass_bench
or sqlite:///data/daypass_bench.sqlite3); without DATABASE_URL the SQLite file
data/daypass_bench.sqlite3 is used.

Rows are written with COPY on PostgreSQL and `executemany` on SQLite, never one ORM save per row.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter

REPO = Path(__file__).resolve().parents[1]
DEFAULT_URL = f"sqlite:///{REPO / 'data' / 'daypass_bench.sqlite3'}"
LOAD_ROWS_PER_BATCH = 50_000


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if "bench" not in url.rsplit("/", 1)[-1]:
        sys.exit(
            f"refusing to rebuild {url!r}: the benchmark drops its database, so the database "
            "name must contain 'bench' (e.g. postgres://postgres@127.0.0.1:5432/daypass_bench)"
        )
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daypass.settings")
    return url


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports kilobytes


def rebuild_database() -> None:
    """Drop and recreate the benchmark database, then migrate it (empty)."""
    import django
    from django.conf import settings

    django.setup()
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        recreate_postgresql_database(database["NAME"])
    else:
        Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(database["NAME"] + suffix).unlink(missing_ok=True)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


def maintenance_connection():
    """An autocommit psycopg connection to the server's `postgres` database."""
    import psycopg
    from django.conf import settings

    database = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        autocommit=True,
    )


def recreate_postgresql_database(name: str, *, template: str | None = None) -> None:
    from django.db import connections

    connections.close_all()
    with maintenance_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{suffix}')


def drop_postgresql_database(name: str) -> None:
    with maintenance_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_owner(now: datetime):
    """A platform, a fleet under it, a device model and a license type (1 day per 24 hours)."""
    from daypass.customers.services import customer_create
    from daypass.devices.models import DeviceModel
    from daypass.licenses.models import LicenseType

    platform = customer_create(actor=None, parent=None, name="Bench platform", now=now)
    fleet = customer_create(actor=None, parent=platform, name="Bench fleet", now=now)
    model = DeviceModel.objects.create(code="BENCH-1", name="Bench model")
    license_type = LicenseType.objects.create(
        code="BENCH-365", name="Bench license", days=365, charge_days=1, period_hours=24
    )
    license_type.device_models.set([model])
    return fleet, model, license_type


def device_number(index: int) -> str:
    return f"B{index:014d}"


def in_fraction(index: int, fraction: float) -> bool:
    """Spread `fraction` of the devices evenly over the ids (0.5: every second device)."""
    return int(index * fraction) != int((index - 1) * fraction)


def license_days(
    index: int, crossing_every: int, auto_renew: float, available_days: int = 300
) -> int:
    """Available days of device `index`'s license: 0 (exhausted, auto-renew), 30 (crossing)
    or `available_days`."""
    if in_fraction(index, auto_renew):
        return 0
    return 30 if crossing_every and index % crossing_every == 0 else available_days


def load_devices_and_licenses(
    *,
    count: int,
    now: datetime,
    service_until: datetime,
    with_licenses: bool,
    blacklisted: float = 0.0,
    crossing_every: int = 0,
    auto_renew: float = 0.0,
    available_days: int = 300,
) -> None:
    """`count` devices of one fleet, each (optionally) with one bound, activated license.

    `blacklisted`: that fraction of the devices is on the blacklist (`in_fraction`).
    With `crossing_every` n, every n-th license has 30 available days (its next charge takes it
    below 30: a `license.running_low` event); the others have 300.
    `auto_renew`: the fleet allows auto-renew, that fraction of the devices' licenses is
    exhausted (0 days left, still bound) and the fleet holds as many spare (Unused) licenses.
    `available_days` of the others (300); with 365 (the total) no deduction is missing from the
    ledger, so `daypass audit` passes after a benchmark that charges them (bench/load.py).

    Ids are given explicitly (1..count) so licenses can point at their devices without a
    lookup; the sequences are moved past them afterwards.
    """
    from django.db import connection, transaction

    from daypass.devices.models import Device
    from daypass.licenses.models import License

    fleet, model, license_type = make_owner(now)
    if auto_renew:
        fleet.allow_auto_renew = True
        fleet.save(update_fields=["allow_auto_renew"])
    activated_at = now - timedelta(days=65)
    blacklist_since = now - timedelta(days=1)
    device_rows = (
        (i, device_number(i), model.pk, fleet.pk, service_until, False, None, "", now)
        if not in_fraction(i, blacklisted)
        else (i, device_number(i), model.pk, fleet.pk, service_until)
        + (True, blacklist_since, "no_valid_license", now)
        for i in range(1, count + 1)
    )
    license_rows = (
        (i, f"K{i:011d}", license_type.pk, fleet.pk, 365, 365)
        + (license_days(i, crossing_every, auto_renew, available_days), activated_at, i)
        + (activated_at,)
        + (False, now)
        for i in range(1, count + 1)
    )
    spares = sum(1 for i in range(1, count + 1) if in_fraction(i, auto_renew))
    spare_rows = (
        (count + j, f"R{j:011d}", license_type.pk, fleet.pk, 365, 365, 365, None, None, None)
        + (False, now)
        for j in range(1, spares + 1)
    )
    device_columns = [
        "id",
        "number",
        "model_id",
        "customer_id",
        "service_until",
        "blacklisted",
        "blacklisted_at",
        "blacklist_reason",
        "registered_at",
    ]
    license_columns = [
        "id",
        "card",
        "type_id",
        "customer_id",
        "issued_days",
        "total_days",
        "available_days",
        "activated_at",
        "device_id",
        "bound_at",
        "locked",
        "created_at",
    ]
    with transaction.atomic():
        bulk_insert(Device._meta.db_table, device_columns, device_rows)
        if with_licenses:
            bulk_insert(License._meta.db_table, license_columns, license_rows)
            bulk_insert(License._meta.db_table, license_columns, spare_rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model_class in (Device, License):
                table = model_class._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
    vacuum_analyze()


def insert_licenses_in_every_status(
    cursor,
    *,
    count: int,
    card_prefix: str,
    type_ids: list[int],
    customer_id: int,
    first_device: int,
    devices: int,
    every_thousandth_customer_id: int | None = None,
) -> None:
    """Insert `count` licenses in one PostgreSQL statement, every status represented.

    i mod 10: 0-2 unused, 3 locked unused, 4-5 in use, 6 inactive, 7 deactivated, 8 expired,
    9 running low (1-29 days, unused). Types cycle through `type_ids`; bound licenses cycle
    through the `devices` devices numbered from `first_device`. With
    `every_thousandth_customer_id`, one license in a thousand belongs to that customer instead.
    """
    cursor.execute(
        """INSERT INTO licenses_license (card, type_id, customer_id, issued_days, total_days,
               available_days, activated_at, device_id, bound_at, locked, created_at)
           SELECT %(prefix)s || lpad(i::text, 10, '0'),
                  (%(type_ids)s::bigint[])[1 + i %% cardinality(%(type_ids)s::bigint[])],
                  CASE WHEN i %% 1000 = 0 AND %(small)s::bigint IS NOT NULL THEN %(small)s
                       ELSE %(customer)s END,
                  365, 365,
                  CASE WHEN i %% 10 = 8 THEN 0 WHEN i %% 10 = 9 THEN 1 + i %% 29
                       ELSE 30 + i %% 300 END,
                  CASE WHEN i %% 10 IN (4, 5, 7, 8) THEN now() - (i %% 700) * interval '1 hour'
                  END,
                  CASE WHEN i %% 10 IN (4, 5, 6) THEN %(first_device)s + (i %% %(devices)s) END,
                  CASE WHEN i %% 10 IN (4, 5, 6) THEN now() END,
                  i %% 10 = 3,
                  now()
           FROM generate_series(1, %(count)s) i""",
        {
            "prefix": card_prefix,
            "type_ids": type_ids,
            "customer": customer_id,
            "small": every_thousandth_customer_id,
            "first_device": first_device,
            "devices": devices,
            "count": count,
        },
    )


BIG_FLEET_NAME = "Megafleet Logistics"
BIG_FLEET_ADMIN = "megafleet-admin"
BIG_FLEET_DEVICES_CHARGED = 20_000
CHARGED_DAYS = 90


def load_console_tree(*, licenses: int, customers: int, charges: bool = True) -> None:
    """The console at fleet scale on PostgreSQL, after `daypass demo`: the big fleet owning
    `licenses` licenses (`load_big_fleet`), `customers` more customers under the platform
    (`load_customers`) and, with `charges`, 90 days of its daily charges (`load_charges`) and
    the ledger checkpoint advanced over them."""
    load_big_fleet(licenses)
    load_customers(customers)
    if charges:
        load_charges()
        # As if yesterday's `daypass audit` had run: the checkpoint (and the per-day roll-up the
        # deduction lists and the consumption chart read) covers all but the last day.
        from daypass.billing.ledger_audit import ledger_checkpoint_advance
        from daypass.core.clock import now

        ledger_checkpoint_advance(now=now())


def load_big_fleet(licenses: int) -> None:
    """A fleet under the demo platform owning `licenses` licenses, bound to licenses/4 devices."""
    from django.db import connection

    from daypass.core.clock import now
    from daypass.customers.accounts import account_create
    from daypass.customers.models import Customer
    from daypass.customers.services import customer_create

    moment = now()
    platform = Customer.objects.get(parent__isnull=True)
    fleet = customer_create(actor=None, parent=platform, name=BIG_FLEET_NAME, now=moment)
    account_create(
        actor=None,
        customer=fleet,
        username=BIG_FLEET_ADMIN,
        password="bench-password",
        role="admin",
        now=moment,
    )
    devices = max(1, licenses // 4)
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO devices_device (number, model_id, customer_id, blacklisted,
                   blacklist_reason, registered_at)
               SELECT 'MEGA' || lpad(i::text, 11, '0'),
                      (SELECT min(id) FROM devices_devicemodel WHERE code = 'MX-C6'),
                      %s, false, '', now()
               FROM generate_series(1, %s) i""",
            [fleet.pk, devices],
        )
        cursor.execute("SELECT min(id) FROM devices_device WHERE customer_id = %s", [fleet.pk])
        first_device = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM licenses_licensetype ORDER BY code")
        insert_licenses_in_every_status(
            cursor,
            count=licenses,
            card_prefix="MG",
            type_ids=[row[0] for row in cursor.fetchall()],
            customer_id=fleet.pk,
            first_device=first_device,
            devices=devices,
        )


def load_customers(count: int) -> None:
    """`count` customers under the platform: 50 distributors, the others dealers below them,
    each with 100 licenses and 20 devices (every tenth blacklisted)."""
    from django.db import connection

    from daypass.core.clock import now
    from daypass.customers.models import Customer
    from daypass.customers.services import customer_create

    moment = now()
    platform = Customer.objects.get(parent__isnull=True)
    distributors = [
        customer_create(actor=None, parent=platform, name=f"Bench distributor {i}", now=moment)
        for i in range(min(50, count))
    ]
    created = list(distributors)
    for i in range(count - len(distributors)):
        parent = distributors[i % len(distributors)]
        created.append(
            customer_create(actor=None, parent=parent, name=f"Bench dealer {i}", now=moment)
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM devices_devicemodel WHERE code = 'MX-C6'")
        model_id = cursor.fetchone()[0]
        cursor.execute("SELECT min(id) FROM licenses_licensetype")
        type_id = cursor.fetchone()[0]
        ids = [c.pk for c in created]
        cursor.execute(
            """INSERT INTO devices_device (number, model_id, customer_id, blacklisted,
                   blacklisted_at, blacklist_reason, registered_at)
               SELECT 'BD' || lpad(c::text, 6, '0') || lpad(i::text, 4, '0'), %s, c,
                      i %% 10 = 0, CASE WHEN i %% 10 = 0 THEN now() END,
                      CASE WHEN i %% 10 = 0 THEN 'no_valid_license' ELSE '' END, now()
               FROM unnest(%s::bigint[]) c, generate_series(1, 20) i""",
            [model_id, ids],
        )
        cursor.execute(
            """INSERT INTO licenses_license (card, type_id, customer_id, issued_days, total_days,
                   available_days, locked, created_at)
               SELECT 'BL' || lpad(c::text, 6, '0') || lpad(i::text, 4, '0'), %s, c,
                      365, 365, (i * 7) %% 366, false, now()
               FROM unnest(%s::bigint[]) c, generate_series(1, 100) i""",
            [type_id, ids],
        )


def load_charges() -> None:
    """Daily successful charges of the big fleet's first devices over the last 90 days."""
    from django.db import connection

    from daypass.customers.models import Customer

    fleet = Customer.objects.get(name=BIG_FLEET_NAME)
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO billing_deduction (at, device_id, license_id, customer_id, days,
                   available_days_after, window_start, window_end, trigger, result, reason)
               SELECT t.at, l.device_id, l.id, l.customer_id, 1, l.available_days,
                      t.at, t.at + interval '24 hours', 'sweep', 'success', ''
               FROM (SELECT DISTINCT ON (device_id) id, device_id, customer_id, available_days
                     FROM licenses_license
                     WHERE customer_id = %s AND device_id IS NOT NULL
                     ORDER BY device_id, id LIMIT %s) l,
                    generate_series(0, %s) d,
                    LATERAL (SELECT now() - make_interval(days => d, hours => 1) AS at) t""",
            [fleet.pk, BIG_FLEET_DEVICES_CHARGED, CHARGED_DAYS - 1],
        )


def measure(
    client,
    label: str,
    path: str,
    params: dict | None,
    runs: int,
    target: float,
    *,
    method: str = "get",
    status: int = 200,
) -> float:
    """Median wall time (ms) of `runs` requests through Django's test client, after one
    warm-up (which also checks the answer's status); prints median, best, worst, queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    send = getattr(client, method)
    response = send(path, params or {})
    assert response.status_code == status, (path, params, response.status_code)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = perf_counter()
            response = send(path, params or {})
            timings.append((perf_counter() - started) * 1000)
        assert response.status_code == status, (path, params, response.status_code)
    median = statistics.median(timings)
    verdict = "ok" if median < target else f"OVER {target:.0f} ms"
    print(
        f"  {label:<52} median {median:7.1f} ms  best {min(timings):7.1f}  "
        f"worst {max(timings):7.1f}  {len(queries):3d} queries  {verdict}",
        flush=True,
    )
    return median


def export_in_child(script: str, username: str) -> tuple[int, float, float]:
    """Run `script --export-child username` (see `export_child`): rows, seconds, peak RSS MB."""
    import subprocess

    child = subprocess.run(
        [sys.executable, script, "--export-child", username],
        capture_output=True,
        text=True,
        check=True,
    )
    rows, seconds, rss = child.stdout.split()
    return int(rows), float(seconds), float(rss)


def export_child(username: str) -> None:
    """Stream the console's CSV export of `username`'s licenses; print rows, seconds and this
    process's peak RSS (Django, the data and the stream included)."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from daypass.customers.models import Account

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(Account.objects.get(username=username))
    started = perf_counter()
    response = client.get("/licenses/export.csv")
    assert response.status_code == 200 and response.streaming
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    seconds = perf_counter() - started
    print(f"{lines - 1} {seconds:.1f} {peak_rss_mb():.0f}")


def postgresql_vacuum(statement: str) -> None:
    """Run `statement` (a VACUUM, which no transaction may hold) on the current database."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    previous = raw.autocommit
    raw.autocommit = True
    try:
        raw.execute(statement)
    finally:
        raw.autocommit = previous


def vacuum_analyze() -> None:
    """Fresh statistics and visibility maps, as a production database would have."""
    from django.db import connection

    if connection.vendor == "postgresql":
        postgresql_vacuum("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def bulk_insert(table: str, columns: list[str], rows: Iterator[tuple]) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    adapt = connection.ops.adapt_datetimefield_value
    placeholders = ", ".join(["?"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    raw = connection.connection
    batch: list[tuple] = []
    for row in rows:
        batch.append(tuple(adapt(v) if isinstance(v, datetime) else v for v in row))
        if len(batch) >= LOAD_ROWS_PER_BATCH:
            raw.executemany(sql, batch)
            batch.clear()
    if batch:
        raw.executemany(sql, batch)


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.started = perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = perf_counter() - self.started
