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
`daypass audit` leaves it), then VACUUM ANALYZE (`bench_database.load_console_tree`).

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
import sys
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_database  # noqa: E402

TARGET_MS = 500
SEARCH_TARGET_MS = 200
SUBTREE_STATS_TARGET_MS = 1000


measure = bench_database.measure


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
        bench_database.export_child(args.export_child)
        return
    import django

    if args.reuse:
        django.setup()
    else:
        from django.core.management import call_command

        started = perf_counter()
        bench_database.rebuild_database()
        call_command("demo", verbosity=0)
        bench_database.load_console_tree(licenses=args.licenses, customers=args.customers)
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
    fleet, fleet_account = api_client(bench_database.BIG_FLEET_ADMIN)
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
        rows, seconds, rss = bench_database.export_in_child(
            __file__, bench_database.BIG_FLEET_ADMIN
        )
        export = f"export {rows:,} rows {seconds:.1f} s, peak RSS {rss:.0f} MB"
        print(f"CSV export of the big fleet's licenses: {export}")
    print(
        f"api_lists: slowest list median {worst_list:.0f} ms; platform subtree stats "
        f"{subtree_stats:.0f} ms; search {worst_search:.0f} ms; {export}"
    )


if __name__ == "__main__":
    main()
