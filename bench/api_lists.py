"""The console API of SPEC 13 at scale: subtree lists and stats, patterns, search, consumption,
the device page's reads, and the streamed CSV export of a million licenses.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daypass_bench_api \
        .venv/bin/python bench/api_lists.py [--licenses 1000000] [--customers 1000] [--runs 5]
        [--reuse] [--no-export]

The database is DROPPED and rebuilt (its name must contain "bench"): `daypass demo`, the big
fleet of bench/pages.py owning `--licenses` licenses (a quarter of them bound to 250,000
devices), `--customers` more customers under the platform (50 distributors, the rest dealers
below them, 100 licenses and 20 devices each), 90 days of daily charges of 20,000 of the big
fleet's devices (1.8 million deductions), the ledger checkpoint advanced to a day ago (as a daily
`daypass audit` leaves it), then VACUUM ANALYZE.

Each request goes through Django's test client in this process with a bearer token (routing,
authentication, endpoint, selector, serialisation: everything but the network), once to warm
up, then `--runs` times; it prints the median, best and worst wall time and the queries.
The export runs in a child process (`--export-child`) reading the whole CSV from the streamed
response; its peak RSS is that process's own (Django, the data and the stream included).
Targets (issue 10): platform subtree stats < 1 s; every list < 500 ms, page 5,000 included;
search < 200 ms; export of 1,000,000 rows < 60 s in < 200 MB.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_database  # noqa: E402
import pages  # noqa: E402

BIG_FLEET_DEVICES_CHARGED = 20_000
CHARGED_DAYS = 90
TARGET_MS = 500
SEARCH_TARGET_MS = 200
SUBTREE_STATS_TARGET_MS = 1000


def load_customers(count: int) -> None:
    """`count` customers under the platform: 50 distributors, the others dealers below them."""
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

    fleet = Customer.objects.get(name=pages.BIG_FLEET_NAME)
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


def measure(client, label: str, path: str, params: dict, runs: int, target: float) -> float:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path, params)
    assert response.status_code == 200, (path, params, response.status_code, response.content)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = perf_counter()
            response = client.get(path, params)
            timings.append((perf_counter() - started) * 1000)
        assert response.status_code == 200
    median = statistics.median(timings)
    verdict = "ok" if median < target else f"OVER {target:.0f} ms"
    print(
        f"  {label:<52} median {median:7.1f} ms  best {min(timings):7.1f}  "
        f"worst {max(timings):7.1f}  {len(queries):2d} queries  {verdict}"
    )
    return median


def export_child(username: str) -> None:
    """Stream the CSV export of `username`'s licenses; print rows, seconds, peak RSS."""
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
    print(f"{lines - 1} {seconds:.1f} {bench_database.peak_rss_mb():.0f}")


def api_client(username: str):
    from django.test import Client

    from daypass.core.clock import now
    from daypass.customers.models import Account
    from daypass.customers.tokens import token_create

    account = Account.objects.get(username=username)
    secret = token_create(account=account, name="bench", now=now())[1]
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    client.get("/api/v1/me")  # the token's first use writes last_used_at
    return client, account


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--licenses", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--export-child", metavar="USERNAME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    bench_database.database_url()
    if args.export_child:
        export_child(args.export_child)
        return
    import django

    if args.reuse:
        django.setup()
    else:
        from django.core.management import call_command

        started = perf_counter()
        bench_database.rebuild_database()
        call_command("demo", verbosity=0)
        pages.load_big_fleet(args.licenses)
        load_customers(args.customers)
        load_charges()
        # As if yesterday's `daypass audit` had run: the checkpoint (and the per-day roll-up the
        # deduction lists and the consumption chart read) covers all but the last day.
        from daypass.billing.ledger_audit import ledger_checkpoint_advance
        from daypass.core.clock import now

        ledger_checkpoint_advance(now=now())
        bench_database.vacuum_analyze()
        print(f"loaded in {perf_counter() - started:.1f} s")

    from django.conf import settings
    from django.db import connection

    from daypass.customers.models import Customer
    from daypass.devices.models import Device
    from daypass.licenses.models import License

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}: "
        f"{Customer.objects.count():,} customers, {License.objects.count():,} licenses, "
        f"{Device.objects.count():,} devices"
    )
    v1 = "/api/v1"
    worst_list = worst_search = 0.0
    platform, _ = api_client("admin")
    print("platform admin, whole tree:")
    subtree_stats = measure(
        platform,
        "stats subtree=true (by_customer)",
        f"{v1}/licenses/stats",
        {"subtree": "true"},
        args.runs,
        SUBTREE_STATS_TARGET_MS,
    )
    for label, path, params in (
        ("summary subtree=true", "/licenses/summary", {"subtree": "true"}),
        ("licenses subtree=true, page 1", "/licenses", {"subtree": "true"}),
        ("licenses subtree=true, page 5,000", "/licenses", {"subtree": "true", "page": 5000}),
        (
            "licenses subtree=true status=expired",
            "/licenses",
            {"subtree": "true", "status": "expired"},
        ),
        ("devices subtree=true, page 1", "/devices", {"subtree": "true"}),
        ("devices subtree=true number=*4321", "/devices", {"subtree": "true", "number": "*4321"}),
        ("transfers subtree=true", "/transfers", {"subtree": "true"}),
        ("deductions subtree=true", "/deductions", {"subtree": "true"}),
        ("deductions subtree=true, page 5,000", "/deductions", {"subtree": "true", "page": 5000}),
        ("consumption subtree=true (90 days)", "/licenses/consumption", {"subtree": "true"}),
    ):
        worst_list = max(
            worst_list, measure(platform, label, v1 + path, params, args.runs, TARGET_MS)
        )
    for label, q in (
        ("search card prefix MG00001234", "MG00001234"),
        ("search device last digits 4321", "4321"),
        ("search customer name 'dealer 99'", "dealer 99"),
        ("search nothing matches", "ZZZZ"),
    ):
        worst_search = max(
            worst_search,
            measure(platform, label, f"{v1}/search", {"q": q}, args.runs, SEARCH_TARGET_MS),
        )
    fleet, fleet_account = api_client(pages.BIG_FLEET_ADMIN)
    device = Device.objects.filter(customer=fleet_account.customer).order_by("number").first()
    print(f"big fleet ({args.licenses:,} licenses):")
    for label, path, params in (
        ("licenses page 1", "/licenses", {}),
        ("licenses page 5,000", "/licenses", {"page": 5000}),
        ("licenses card=MG000012* (prefix)", "/licenses", {"card": "MG000012*"}),
        ("licenses device=*4321 (last digits)", "/licenses", {"device": "*4321"}),
        ("devices number=*4321 (last digits)", "/devices", {"number": "*4321"}),
        ("stats subtree=true", "/licenses/stats", {"subtree": "true"}),
        ("consumption (90 days)", "/licenses/consumption", {}),
        (f"device {device.number}", f"/devices/{device.number}", {}),
        ("deductions of that device", "/deductions", {"device": device.number}),
        ("deductions page 1", "/deductions", {}),
        ("deductions page 5,000", "/deductions", {"page": 5000}),
        (
            "deductions result=success page 5,000",
            "/deductions",
            {"result": "success", "page": 5000},
        ),
    ):
        worst_list = max(worst_list, measure(fleet, label, v1 + path, params, args.runs, TARGET_MS))
    for label, q in (("search card prefix MG0000099", "MG0000099"), ("search 4321", "4321")):
        worst_search = max(
            worst_search,
            measure(fleet, label, f"{v1}/search", {"q": q}, args.runs, SEARCH_TARGET_MS),
        )
    distributor, _ = api_client("northwind-admin")
    print("demo distributor (the big fleet's licenses are outside its subtree):")
    worst_search = max(
        worst_search,
        measure(
            distributor,
            "search card prefix MG (none visible)",
            f"{v1}/search",
            {"q": "MG00"},
            args.runs,
            SEARCH_TARGET_MS,
        ),
    )
    export = "export skipped"
    if not args.no_export:
        child = subprocess.run(
            [sys.executable, __file__, "--export-child", pages.BIG_FLEET_ADMIN],
            capture_output=True,
            text=True,
            check=True,
        )
        rows, seconds, rss = child.stdout.split()
        export = f"export {int(rows):,} rows {float(seconds):.1f} s, peak RSS {rss} MB"
        print(f"CSV export of the big fleet's licenses: {export}")
    print(
        f"api_lists: slowest list median {worst_list:.0f} ms; platform subtree stats "
        f"{subtree_stats:.0f} ms; search {worst_search:.0f} ms; {export}"
    )


if __name__ == "__main__":
    main()
