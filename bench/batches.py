"""Batch benchmark: every batch operation at the largest size SPEC allows, through the API, while
a gateway keeps reporting (issue 12).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daypass_bench \
        .venv/bin/python bench/batches.py
    DATABASE_URL=sqlite:///data/daypass_bench.sqlite3 .venv/bin/python bench/batches.py

Rebuilds the benchmark database, loads `--gate-devices` devices of a fleet whose paid window
has ended (each with a bound, activated license), then times, one after the other, each as one
API request through Django's full stack (middleware, authentication, JSON in and out):

- issue 100,000 licenses (platform admin),
- sell 100,000 by type + quantity to a child, return 100,000 by type + quantity,
- import 10,000 devices, bind 1,000 of them by license code, top up 10,000 cards.

Meanwhile a second thread (its own database connection) calls the gate with 10 random fleet
devices at a time, as fast as it can; each report that finds a device's window ended charges
it (a write transaction), so on SQLite the gate waits for the batch's write lock. The script
prints each operation's time and the gate's latency while it ran.

Last line: `batches: slowest S s (OP on DB); gate p99 during batches P ms`.
Targets (issue 12): slowest < 5 s on both databases; gate p99 during batches < 2 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_database  # noqa: E402
from bench_database import Stopwatch, device_number  # noqa: E402

GATE_BATCH = 10


class GateLoad(threading.Thread):
    """Reports random fleet devices to the gate in a loop; remembers each call's latency."""

    def __init__(self, numbers: list[str], now: datetime):
        super().__init__(name="gate-load", daemon=True)
        self.numbers = numbers
        self.now = now
        self.stop_event = threading.Event()
        self.calls: list[tuple[float, float]] = []  # (started, seconds)
        self.errors: list[str] = []

    def run(self) -> None:
        from django.db import connection

        from daypass.billing.gate import gate_check

        chooser = random.Random(7)
        started = perf_counter()
        try:
            while not self.stop_event.is_set():
                chosen = chooser.sample(self.numbers, GATE_BATCH)
                call_started = perf_counter()
                try:
                    gate_check(
                        device_numbers=chosen,
                        now=self.now + timedelta(seconds=call_started - started),
                    )
                except Exception as error:  # noqa: BLE001 - counted and shown, never hidden
                    self.errors.append(repr(error))
                self.calls.append((call_started, perf_counter() - call_started))
        finally:
            connection.close()

    def during(self, start: float, end: float) -> list[float]:
        return [
            seconds
            for started, seconds in self.calls
            if started < end and started + seconds > start
        ]


class StatementTrace:
    """`--trace`: the time of every SQL statement of this thread's connection, and of each
    commit, so a slow batch shows where its time goes (the rest is Python: rules, JSON)."""

    def __init__(self) -> None:
        self.entries: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.entries.append((perf_counter() - started, sql))

    def install(self, connection) -> None:
        connection.execute_wrappers.append(self)
        commit = connection._commit

        def timed_commit():  # PostgreSQL runs the deferred constraint checks here
            started = perf_counter()
            try:
                return commit()
            finally:
                self.entries.append((perf_counter() - started, "COMMIT"))

        connection._commit = timed_commit

    def report(self, total: float) -> None:
        spent = sum(seconds for seconds, _sql in self.entries)
        slow = sorted(self.entries, reverse=True)[:8]
        print(
            f"  {len(self.entries)} statements {spent:.2f}s, outside the database"
            f" {total - spent:.2f}s; slowest:"
        )
        for seconds, sql in slow:
            print(f"    {seconds:.3f}s {' '.join(sql.split())[:110]}")
        self.entries.clear()


def p99_ms(latencies: list[float]) -> float:
    if len(latencies) < 2:
        return (latencies[0] if latencies else 0.0) * 1000
    return statistics.quantiles(latencies, n=100, method="inclusive")[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gate-devices", type=int, default=20_000, help="fleet devices reporting")
    parser.add_argument("--issue", type=int, default=100_000, help="licenses issued (and sold)")
    parser.add_argument("--import-devices", type=int, default=10_000, help="devices imported")
    parser.add_argument("--bind", type=int, default=1_000, help="devices bound in one batch")
    parser.add_argument("--top-up", type=int, default=10_000, help="licenses topped up")
    parser.add_argument(
        "--trace", action="store_true", help="print each batch's slowest SQL statements"
    )
    args = parser.parse_args()

    bench_database.database_url()
    bench_database.rebuild_database()

    from django.db import connection
    from django.test import Client

    from daypass.customers.accounts import account_create
    from daypass.customers.models import Customer
    from daypass.customers.services import customer_create
    from daypass.customers.tokens import token_create

    vendor = connection.vendor
    now = datetime.now(UTC)
    with Stopwatch() as load:
        bench_database.load_devices_and_licenses(
            count=args.gate_devices,
            now=now,
            service_until=now - timedelta(hours=1),
            with_licenses=True,
        )
        fleet = Customer.objects.get(name="Bench fleet")
        platform = fleet.parent
        distributor = customer_create(
            actor=None, parent=platform, name="Bench distributor", now=now
        )
        platform_admin = account_create(
            actor=None,
            customer=platform,
            username="bench-admin",
            password="bench-password-1",
            role="admin",
            now=now,
        )
        distributor_admin = account_create(
            actor=None,
            customer=distributor,
            username="bench-distributor",
            password="bench-password-1",
            role="admin",
            now=now,
        )
        tokens = {
            "platform": token_create(account=platform_admin, name="bench", now=now)[1],
            "distributor": token_create(account=distributor_admin, name="bench", now=now)[1],
        }
    print(
        f"load: {args.gate_devices} fleet devices with bound licenses"
        f" in {load.seconds:.1f}s ({vendor})"
    )

    client = Client()
    trace = StatementTrace() if args.trace else None
    if trace is not None:
        trace.install(connection)

    def post(who: str, path: str, body: dict, expected: int) -> dict:
        import json

        response = client.post(
            f"/api/v1{path}",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {tokens[who]}"},
        )
        if response.status_code != expected:
            sys.exit(f"{path}: {response.status_code} {response.content[:500]!r}")
        return response.json()

    gate = GateLoad([device_number(i) for i in range(1, args.gate_devices + 1)], now)
    gate.start()
    results: list[tuple[str, float, float, int]] = []
    windows: list[tuple[float, float]] = []

    def timed(name: str, who: str, path: str, body: dict, expected: int = 200) -> dict:
        if trace is not None:
            trace.entries.clear()
        started = perf_counter()
        answer = post(who, path, body, expected)
        ended = perf_counter()
        windows.append((started, ended))
        during = gate.during(started, ended)
        results.append((name, ended - started, p99_ms(during), len(during)))
        print(
            f"{name}: {ended - started:.2f}s; gate during it: {len(during)} calls,"
            f" p99 {p99_ms(during):.0f}ms, max {max(during, default=0) * 1000:.0f}ms",
            flush=True,
        )
        if trace is not None:
            trace.report(ended - started)
        return answer

    import time

    time.sleep(1.0)  # the gate warms up
    code = "BENCH-365"
    issued = timed(
        f"issue {args.issue}",
        "platform",
        "/licenses/issue",
        {"type": code, "quantity": args.issue},
        expected=201,
    )
    assert len(issued["cards"]) == args.issue
    sold = timed(
        f"sell {args.issue}",
        "platform",
        "/licenses/sell",
        {"to": distributor.number, "type": code, "quantity": args.issue},
    )
    assert len(sold["cards"]) == args.issue
    returned = timed(
        f"return {args.issue}",
        "distributor",
        "/licenses/return",
        {"type": code, "quantity": args.issue},
    )
    assert len(returned["cards"]) == args.issue
    post(
        "platform",
        "/licenses/sell",
        {"to": distributor.number, "type": code, "quantity": args.bind},
        200,
    )
    devices = [
        {"number": f"IMP{i:012d}", "model": "BENCH-1", "customer": distributor.number}
        for i in range(args.import_devices)
    ]
    imported = timed(
        f"import {args.import_devices}",
        "platform",
        "/devices/import",
        {"devices": devices},
        expected=201,
    )
    assert imported["count"] == args.import_devices
    items = [{"device": d["number"], "type": code} for d in devices[: args.bind]]
    bound = timed(
        f"bind-batch {args.bind}", "distributor", "/licenses/bind-batch", {"items": items}
    )
    assert len(bound["items"]) == args.bind
    cards = issued["cards"][-args.top_up :]
    topped = timed(
        f"top-up {args.top_up}", "platform", "/licenses/top-up", {"cards": cards, "days": 30}
    )
    assert len(topped["cards"]) == args.top_up

    time.sleep(0.5)
    gate.stop_event.set()
    gate.join(30)
    if gate.errors:
        print(f"gate errors: {len(gate.errors)}, first: {gate.errors[0]}")
    during_batches = [
        seconds
        for started, seconds in gate.calls
        if any(started < end and started + seconds > start for start, end in windows)
    ]
    slowest = max(results, key=lambda r: r[1])
    print(f"gate overall: {len(gate.calls)} calls, p99 {p99_ms([s for _, s in gate.calls]):.0f}ms")
    print(
        f"batches: slowest {slowest[1]:.2f} s ({slowest[0].split()[0]} on {vendor}); "
        f"gate p99 during batches {p99_ms(during_batches):.0f} ms"
    )


if __name__ == "__main__":
    main()
