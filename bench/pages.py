"""Server render time of every console page of SPEC 13 at fleet scale, and the CSV export.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daypass_bench_pages \
        .venv/bin/python bench/pages.py [--licenses 1000000] [--customers 1000] [--runs 5]
        [--reuse] [--no-export] [--only TEXT] [--plain-offset]

The database is DROPPED and rebuilt (its name must contain "bench"; never a test database):
`daypass demo`, then `bench_database.load_console_tree` (the data of bench/api_lists.py, so
either script's `--reuse` runs on the other's database): a fleet under the demo platform
owning `--licenses` licenses (statuses mixed like a working fleet, a quarter bound to
`--licenses`/4 devices), `--customers` more customers under the platform (50 distributors, the
others dealers; 100 licenses and 20 devices each) and 90 days of daily charges of 20,000 of the
fleet's devices; then VACUUM ANALYZE.

Each page is requested through Django's test client in this process, signed in (URL routing,
session, middleware, selectors, template rendering: everything but the network), once to warm
up and then `--runs` times; it prints the median, best and worst wall time and the number of
queries. The export runs in a child process reading the whole streamed CSV; its peak RSS is
that process's own. Targets (issue 10): License Management with the subtree for the platform
< 1 s; every other page < 500 ms, page 5,000 included; search < 200 ms; the export of
1,000,000 licenses < 60 s in < 200 MB. The last line sums it up:

    pages: slowest median X ms over N pages; platform subtree Y ms; search Z ms;
    export R rows S s, peak RSS M MB
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
PLATFORM_SUBTREE_TARGET_MS = 1000
DEEP_PAGE = 5000


def console_client(username: str):
    from django.test import Client

    from daypass.customers.models import Account

    account = Account.objects.select_related("customer").get(username=username)
    client = Client()
    client.force_login(account)
    return client, account


def page_cases(fleet_number: str, fleet_device: str, blacklisted: str, top_up_cards: list[str]):
    """(who, label, path, params, target, method, status) of every page measured."""
    sub = {"subtree": "true"}
    deep = {"page": DEEP_PAGE}
    platform = [
        ("License Management", "/", {}),
        ("licenses subtree, page 1", "/licenses/", sub),
        (f"licenses subtree, page {DEEP_PAGE:,}", "/licenses/", {**sub, **deep}),
        ("licenses subtree status=expired", "/licenses/", {**sub, "status": "expired"}),
        ("devices subtree, page 1", "/devices/", sub),
        (f"devices subtree, page {DEEP_PAGE:,}", "/devices/", {**sub, **deep}),
        ("devices subtree number=*4321", "/devices/", {**sub, "number": "*4321"}),
        ("sales records subtree (by batch)", "/sales-records/", sub),
        ("deduction records subtree", "/deduction-records/", sub),
        ("consumption & forecast subtree", "/consumption/", sub),
        ("accounts", "/accounts/", {}),
        ("customers", "/customers/", {}),
        ("notifications inbox", "/notifications/", {}),
        ("notification settings", "/notifications/settings/", {}),
        ("webhook endpoints", "/webhooks/", {}),
        ("platform: issue", "/platform/issue/", {}),
        ("platform: license types and device models", "/platform/catalog/", {}),
        ("platform: device registration and import", "/platform/devices/", {}),
        ("platform: a blacklisted device's page", f"/devices/{blacklisted}/", {}),
    ]
    fleet = {"customer": fleet_number}
    big = [
        ("License Management", "/", {}),
        ("License Management subtree", "/", sub),
        ("licenses, page 1", "/licenses/", {}),
        (f"licenses, page {DEEP_PAGE:,}", "/licenses/", deep),
        ("licenses order=available_days", "/licenses/", {"order": "available_days"}),
        ("licenses card=MG000012* (prefix)", "/licenses/", {"card": "MG000012*"}),
        ("devices, page 1", "/devices/", {}),
        (f"devices, page {DEEP_PAGE:,}", "/devices/", deep),
        ("device page", f"/devices/{fleet_device}/", {}),
        ("sales records (by batch)", "/sales-records/", {}),
        ("deduction records", "/deduction-records/", {}),
        (f"deduction records, page {DEEP_PAGE:,}", "/deduction-records/", deep),
        ("consumption & forecast", "/consumption/", {}),
        ("accounts", "/accounts/", {}),
        ("notifications inbox", "/notifications/", {}),
        ("webhook endpoints", "/webhooks/", {}),
    ]
    cases = []
    for label, path, params in platform:
        cases.append(("admin", f"platform {label}", path, params, TARGET_MS, "get", 200))
    cases.append(
        (
            "admin",
            "platform License Management subtree (roll-up)",
            "/",
            sub,
            PLATFORM_SUBTREE_TARGET_MS,
            "get",
            200,
        )
    )
    cases.append(
        (
            "admin",
            "platform: big fleet's licenses page 1 (top-up)",
            "/licenses/",
            fleet,
            TARGET_MS,
            "get",
            200,
        )
    )
    cases.append(
        (
            "admin",
            "platform: clear blacklist (confirmation, POST)",
            f"/devices/{blacklisted}/clear-blacklist/",
            {},
            TARGET_MS,
            "post",
            200,
        )
    )
    cases.append(
        (
            "admin",
            "platform: top up 50 of the big fleet's licenses (POST)",
            "/licenses/top-up/",
            {"customer": fleet_number, "cards": top_up_cards, "days": "1"},
            TARGET_MS,
            "post",
            302,
        )
    )
    for label, path, params in big:
        cases.append(
            (bench_database.BIG_FLEET_ADMIN, f"big fleet {label}", path, params, TARGET_MS)
            + ("get", 200)
        )
    searches = [
        ("admin", "platform search card prefix MG00001234", "MG00001234"),
        ("admin", "platform search device last digits 4321", "4321"),
        ("admin", "platform search customer name 'dealer 99'", "dealer 99"),
        ("admin", "platform search nothing matches", "ZZZZ"),
        (bench_database.BIG_FLEET_ADMIN, "big fleet search card prefix MG0000099", "MG0000099"),
        (bench_database.BIG_FLEET_ADMIN, "big fleet search 4321", "4321"),
        ("northwind-admin", "distributor search MG00 (all outside its subtree)", "MG00"),
        ("northwind-admin", "distributor search MEGA (all outside its subtree)", "MEGA"),
    ]
    for who, label, q in searches:
        cases.append((who, label, "/search/", {"q": q}, SEARCH_TARGET_MS, "get", 200))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--licenses", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--only", help="measure only the pages whose label contains this")
    parser.add_argument(
        "--plain-offset",
        action="store_true",
        help="read every page with a plain OFFSET (no deferred join): the old way, to compare",
    )
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
        print(f"loaded in {perf_counter() - started:.1f} s", flush=True)

    from django.conf import settings
    from django.db import connection

    from daypass.customers.models import Account, Customer
    from daypass.devices.models import Device
    from daypass.licenses.models import License

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if args.plain_offset:
        from daypass.core import paging

        paging.DEFERRED_FROM = sys.maxsize
    fleet = Account.objects.get(username=bench_database.BIG_FLEET_ADMIN).customer
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}: "
        f"{Customer.objects.count():,} customers, {License.objects.count():,} licenses "
        f"({License.objects.filter(customer=fleet).count():,} of the big fleet), "
        f"{Device.objects.count():,} devices; load average {load_average()}",
        flush=True,
    )
    fleet_device = Device.objects.filter(customer=fleet).order_by("number").first().number
    blacklisted = Device.objects.filter(blacklisted=True).order_by("number").first().number
    top_up_cards = list(
        License.objects.filter(customer=fleet).order_by("card").values_list("card", flat=True)[:50]
    )
    clients = {}
    worst = subtree = search = 0.0
    measured = 0
    for who, label, path, params, target, method, status in page_cases(
        fleet.number, fleet_device, blacklisted, top_up_cards
    ):
        if args.only and args.only not in label:
            continue
        if who not in clients:
            clients[who] = console_client(who)[0]
        median = bench_database.measure(
            clients[who], label, path, params, args.runs, target, method=method, status=status
        )
        measured += 1
        if label == "platform License Management subtree (roll-up)":
            subtree = median
        elif path == "/search/":
            search = max(search, median)
        else:
            worst = max(worst, median)
    export = "export skipped"
    if not args.no_export:
        rows, seconds, rss = bench_database.export_in_child(
            __file__, bench_database.BIG_FLEET_ADMIN
        )
        export = f"export {rows:,} rows {seconds:.1f} s, peak RSS {rss:.0f} MB"
        print(f"CSV export of the big fleet's licenses: {export}")
    print(f"load average {load_average()}")
    print(
        f"pages: slowest median {worst:.0f} ms over {measured} pages; platform subtree "
        f"{subtree:.0f} ms; search {search:.0f} ms; {export}"
    )


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
