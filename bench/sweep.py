"""Sweep benchmark: `daypass charge` against the raw SQL floor on a copy of the same data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daypass_bench \
        .venv/bin/python bench/sweep.py --devices 1000000

Builds N due devices (service-until an hour ago), each with one bound, activated license, in a
freshly recreated benchmark database (bulk COPY / executemany). Then, on a copy of that data,
times the floor: one hand-written set-based statement doing the same updates and inserts with
no chunking, locking or progress. Then times `daypass charge` (a real subprocess, as an operator
runs it) on the original and reads its peak RSS. Both results are checked to be the same.

Last line: `sweep: N devices, daypass X/s, floor Y/s, ratio R` (R = daypass s / floor s). With
`--crossing F`, a fraction F of the licenses crosses 30 days during the sweep (one
`license.running_low` event each) and the line adds `, events cost P%`: the share of daypass's
sweep time spent writing events (snapshots, inserts, sinks), as `daypass charge` reports it.

With `--auto-renew F`, the fleet allows auto-renew (SPEC 14), that fraction of the devices has
an exhausted bound license and the fleet holds as many spare licenses: the sweep binds one to each
of those devices (bind, audit event, `license.auto_bound` event) and charges it. The floor then
does the same work first, in one more hand-written statement (spares matched to devices by
position, oldest card first: the bench has one license type and one model).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_database  # noqa: E402
from bench_database import REPO, Stopwatch  # noqa: E402

POSTGRESQL_FLOOR_SQL = """
WITH pick AS (
    SELECT DISTINCT ON (l.device_id)
           l.device_id, l.id AS license_id, t.charge_days, t.period_hours
    FROM licenses_license l
    JOIN licenses_licensetype t ON t.id = l.type_id
    JOIN devices_device d ON d.id = l.device_id
    WHERE NOT d.blacklisted AND (d.service_until IS NULL OR d.service_until <= %(now)s)
      AND l.available_days >= t.charge_days
    ORDER BY l.device_id, l.activated_at ASC NULLS LAST, l.bound_at, l.card
),
charged AS (
    UPDATE licenses_license l
    SET available_days = l.available_days - p.charge_days,
        activated_at = COALESCE(l.activated_at, %(now)s)
    FROM pick p WHERE l.id = p.license_id
    RETURNING l.id AS license_id, l.device_id, l.customer_id, l.available_days, p.charge_days,
              %(now)s + p.period_hours * interval '1 hour' AS window_end
),
granted AS (
    UPDATE devices_device d SET service_until = c.window_end
    FROM charged c WHERE d.id = c.device_id
)
INSERT INTO billing_deduction (at, device_id, license_id, customer_id, days, available_days_after,
                               window_start, window_end, trigger, result, reason)
SELECT %(now)s, c.device_id, c.license_id, c.customer_id, c.charge_days, c.available_days,
       %(now)s, c.window_end, 'sweep', 'success', ''
FROM charged c
"""

# Auto-renew's floor: the due devices that cannot pay, matched by position with their owner's
# spare licenses in card order; bind them, write the audit events and the events.
POSTGRESQL_FLOOR_RENEW_SQL = """
WITH needy AS (
    SELECT d.id, d.number, d.customer_id,
           row_number() OVER (PARTITION BY d.customer_id ORDER BY d.id) AS position
    FROM devices_device d JOIN customers_customer c ON c.id = d.customer_id
    WHERE c.allow_auto_renew AND NOT d.blacklisted
      AND (d.service_until IS NULL OR d.service_until <= %(now)s)
      AND NOT EXISTS (SELECT 1 FROM licenses_license b JOIN licenses_licensetype t
                      ON t.id = b.type_id
                      WHERE b.device_id = d.id AND b.available_days >= t.charge_days)
),
spare AS (
    SELECT l.id, l.customer_id,
           row_number() OVER (PARTITION BY l.customer_id ORDER BY l.card) AS position
    FROM licenses_license l JOIN licenses_licensetype t ON t.id = l.type_id
    WHERE l.device_id IS NULL AND NOT l.locked AND l.available_days >= t.charge_days
      AND l.customer_id IN (SELECT customer_id FROM needy)
),
bound AS (
    UPDATE licenses_license l SET device_id = n.id, bound_at = %(now)s
    FROM needy n JOIN spare s USING (customer_id, position)
    WHERE l.id = s.id
    RETURNING l.id, l.card, n.number, n.customer_id
),
audited AS (
    INSERT INTO core_auditevent (at, actor_id, actor_username, acting_customer_id, action,
                                 target, details, ip_address)
    SELECT %(now)s, NULL, '', b.customer_id, 'license.bind', b.card,
           jsonb_build_object('device', b.number, 'auto_renew', true), NULL
    FROM bound b
)
INSERT INTO events_event (uid, type, customer_id, at, data)
SELECT 'evt_' || md5(b.card), 'license.auto_bound', b.customer_id, %(now)s,
       jsonb_build_object('license', jsonb_build_object('card', b.card, 'device', b.number),
                          'device', jsonb_build_object('number', b.number))
FROM bound b
"""

SQLITE_FLOOR_STATEMENTS = [
    """CREATE TEMP TABLE pick AS
       SELECT device_id, license_id, customer_id, available_days, charge_days, period_hours
       FROM (SELECT l.device_id, l.id AS license_id, l.customer_id, l.available_days,
                    t.charge_days, t.period_hours,
                    ROW_NUMBER() OVER (PARTITION BY l.device_id ORDER BY l.activated_at IS NULL,
                                       l.activated_at, l.bound_at, l.card) AS position
             FROM licenses_license l
             JOIN licenses_licensetype t ON t.id = l.type_id
             JOIN devices_device d ON d.id = l.device_id
             WHERE d.blacklisted = 0 AND (d.service_until IS NULL OR d.service_until <= :now)
               AND l.available_days >= t.charge_days)
       WHERE position = 1""",
    """UPDATE licenses_license AS l SET available_days = l.available_days - p.charge_days,
              activated_at = COALESCE(l.activated_at, :now)
       FROM pick p WHERE l.id = p.license_id""",
    """UPDATE devices_device AS d
       SET service_until = strftime('%Y-%m-%d %H:%M:%f', :now, '+' || p.period_hours || ' hours')
       FROM pick p WHERE d.id = p.device_id""",
    """INSERT INTO billing_deduction (at, device_id, license_id, customer_id, days,
              available_days_after, window_start, window_end, trigger, result, reason)
       SELECT :now, device_id, license_id, customer_id, charge_days, available_days - charge_days,
              :now, strftime('%Y-%m-%d %H:%M:%f', :now, '+' || period_hours || ' hours'),
              'sweep', 'success', ''
       FROM pick""",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000, help="due devices to charge")
    parser.add_argument("--chunk-size", type=int, default=None, help="daypass charge chunk size")
    parser.add_argument(
        "--crossing", type=float, default=0.0, help="fraction of licenses crossing 30 days"
    )
    parser.add_argument(
        "--auto-renew",
        type=float,
        default=0.0,
        help="fraction of the devices whose license is exhausted and gets a spare bound (0-0.5)",
    )
    args = parser.parse_args()
    if not 0 <= args.auto_renew <= 0.5:
        sys.exit("--auto-renew must be between 0 and 0.5")
    url = bench_database.database_url()

    # The devices fell due an hour ago; `charge` runs at the real current time, the floor at
    # the same instant taken now (both charge exactly the devices due).
    now = datetime.now(UTC)
    bench_database.rebuild_database()
    from django.conf import settings
    from django.db import connection, connections

    vendor = connection.vendor
    with Stopwatch() as load:
        bench_database.load_devices_and_licenses(
            count=args.devices,
            now=now,
            service_until=now - timedelta(hours=1),
            with_licenses=True,
            crossing_every=round(1 / args.crossing) if args.crossing else 0,
            auto_renew=args.auto_renew,
        )
    print(f"load: {args.devices} devices and licenses in {load.seconds:.1f}s ({vendor})")
    if args.auto_renew and vendor != "postgresql":
        sys.exit("--auto-renew: the floor is written for PostgreSQL")
    if args.crossing:
        # Their inboxes receive every event: the inbox sink works as it would in production.
        add_fleet_accounts()
    name = settings.DATABASES["default"]["NAME"]
    connections.close_all()

    floor_seconds, floor_rows = run_floor(
        vendor=vendor, name=name, now=datetime.now(UTC), auto_renew=bool(args.auto_renew)
    )
    print(
        f"floor: {floor_rows} devices in {floor_seconds:.2f}s, {floor_rows / floor_seconds:,.0f}/s"
    )

    checkpoint(vendor)
    daypass_seconds, peak_mb, output = run_charge(url=url, chunk_size=args.chunk_size)
    for line in output.strip().splitlines()[-2:]:
        print(f"  {line}")
    charged = count_success_deductions()
    if charged != floor_rows or charged != args.devices:
        sys.exit(f"MISMATCH: daypass charged {charged}, floor {floor_rows}, due {args.devices}")
    if args.auto_renew:
        renewed = count_auto_renewed()
        print(f"auto-renew: {renewed} spare licenses bound and charged")
    print(
        f"daypass charge: {charged} devices in {daypass_seconds:.2f}s, "
        f"{charged / daypass_seconds:,.0f}/s, peak RSS {peak_mb:.0f} MB "
        f"(benchmark process {bench_database.peak_rss_mb():.0f} MB)"
    )
    # What a worker pays every interval once everything is paid: one pass over the devices.
    idle_seconds, _, _ = run_charge(url=url, chunk_size=args.chunk_size)
    # The sweep itself, in this process (the subprocess's figure is mostly Django starting).
    from daypass.billing.sweep import sweep_run

    started = perf_counter()
    idle = sweep_run(now=datetime.now(UTC))
    idle_sweep_seconds = perf_counter() - started
    if idle.devices:
        sys.exit(f"MISMATCH: the idle sweep charged {idle.devices} devices")
    print(
        f"idle sweep (nothing due, {args.devices} devices): {idle_sweep_seconds:.3f}s "
        f"(daypass charge, process start-up included: {idle_seconds:.2f}s)"
    )
    ratio = daypass_seconds / floor_seconds
    last = (
        f"sweep: {args.devices} devices, daypass {charged / daypass_seconds:,.0f}/s, "
        f"floor {floor_rows / floor_seconds:,.0f}/s, ratio {ratio:.2f}"
    )
    if args.crossing:
        events, events_seconds = events_written(output)
        expected = args.devices // round(1 / args.crossing)
        if events != expected:
            sys.exit(f"MISMATCH: {events} events written, {expected} licenses crossed 30 days")
        from daypass.notifications.models import Notification

        print(
            f"events: {events} written in {events_seconds:.2f}s "
            f"(with {Notification.objects.count()} inbox notifications)"
        )
        last += f", events cost {100 * events_seconds / daypass_seconds:.1f}%"
    print(last)


def add_fleet_accounts() -> None:
    """An admin, an operator and a viewer for the bench fleet (role defaults: all get inboxes)."""
    from daypass.customers.models import Account, Customer

    fleet = Customer.objects.get(name="Bench fleet")
    for role in ("admin", "operator", "viewer"):
        account = Account(username=f"bench-{role}", customer=fleet, role=role)
        account.set_unusable_password()
        account.save()


def events_written(output: str) -> tuple[int, float]:
    """(events, seconds) from the last line of `daypass charge`: `…; N events written in Ss.`"""
    match = re.search(r"(\d+) events written in ([0-9.]+)s", output)
    if match is None:
        sys.exit(f"no event figures in the output of daypass charge:\n{output}")
    return int(match[1]), float(match[2])


def run_floor(*, vendor: str, name: str, now: datetime, auto_renew: bool) -> tuple[float, int]:
    """Copy the database, run the floor on the copy, return (seconds, devices charged)."""
    if vendor == "postgresql":
        floor_name = f"{name}_floor"
        bench_database.recreate_postgresql_database(floor_name, template=name)
        try:
            import psycopg
            from django.conf import settings

            database = settings.DATABASES["default"]
            with psycopg.connect(
                dbname=floor_name,
                user=database["USER"] or None,
                host=database["HOST"] or None,
                port=database["PORT"] or None,
                password=database["PASSWORD"] or None,
            ) as floor:
                floor.execute("CHECKPOINT")
                started = perf_counter()
                if auto_renew:
                    floor.execute(POSTGRESQL_FLOOR_RENEW_SQL, {"now": now})
                rows = floor.execute(POSTGRESQL_FLOOR_SQL, {"now": now}).rowcount
                floor.commit()
                return perf_counter() - started, rows
        finally:
            bench_database.drop_postgresql_database(floor_name)
    floor_path = f"{name}.floor"
    shutil.copyfile(name, floor_path)
    try:
        floor = sqlite3.connect(floor_path, isolation_level=None)
        floor.execute("PRAGMA journal_mode=WAL")
        floor.execute("PRAGMA synchronous=NORMAL")
        at = now.replace(tzinfo=None).isoformat(sep=" ")
        started = perf_counter()
        floor.execute("BEGIN IMMEDIATE")
        for statement in SQLITE_FLOOR_STATEMENTS:
            floor.execute(statement, {"now": at})
        rows = floor.execute("SELECT count(*) FROM pick").fetchone()[0]
        floor.execute("COMMIT")
        seconds = perf_counter() - started
        floor.close()
        return seconds, rows
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(floor_path + suffix).unlink(missing_ok=True)


def checkpoint(vendor: str) -> None:
    """Start the timed run with no dirty pages left over from loading or the floor."""
    if vendor == "postgresql":
        with bench_database.maintenance_connection() as admin:
            admin.execute("CHECKPOINT")


def run_charge(*, url: str, chunk_size: int | None) -> tuple[float, float, str]:
    """Run `daypass charge` as a subprocess: (wall seconds, its peak RSS in MB, its output).

    It is the only child this script starts, so getrusage(RUSAGE_CHILDREN) is its peak RSS.
    """
    command = [sys.executable, "-m", "django", "charge"]
    if chunk_size:
        command += ["--chunk-size", str(chunk_size)]
    environment = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "daypass.settings"}
    started = perf_counter()
    process = subprocess.run(
        command, env=environment, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    seconds = perf_counter() - started
    output = process.stdout.decode()
    if process.returncode != 0:
        sys.exit(f"daypass charge failed:\n{output}")
    return seconds, bench_database.peak_rss_mb(resource.RUSAGE_CHILDREN), output


def count_auto_renewed() -> int:
    from daypass.events.models import Event
    from daypass.licenses.models import License

    bound = License.objects.filter(card__startswith="R", device__isnull=False).count()
    events = Event.objects.filter(type="license.auto_bound").count()
    if bound != events:
        sys.exit(f"MISMATCH: {bound} spares bound, {events} license.auto_bound events")
    return bound


def count_success_deductions() -> int:
    from daypass.billing.models import Deduction

    return Deduction.objects.filter(result="success").count()


if __name__ == "__main__":
    main()
