"""A dedicated benchmark database, rebuilt from scratch, and a fast bulk loader.

Shared by bench/sweep.py and bench/gate.py. The database named in DATABASE_URL is DROPPED and
recreated, so its name must contain "bench" (e.g. postgres://postgres@127.0.0.1:5432/daypass_bench
or sqlite:///data/daypass_bench.sqlite3); without DATABASE_URL the SQLite file
data/daypass_bench.sqlite3 is used.

Rows are written with COPY on PostgreSQL and `executemany` on SQLite, never one ORM save per row.
"""

from __future__ import annotations

import os
import resource
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


def vacuum_analyze() -> None:
    """Fresh statistics and visibility maps, as a production database would have."""
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        previous = raw.autocommit
        raw.autocommit = True
        try:
            raw.execute("VACUUM ANALYZE")
        finally:
            raw.autocommit = previous
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
