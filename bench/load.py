"""Load test of a running server: gateways, API writers, console users and the sweep at once,
with the largest batch in the middle (issue 12). Bounded in time; talks to 127.0.0.1 only.

    DATABASE_URL=sqlite:///data/daypass_bench.sqlite3 .venv/bin/python bench/load.py --seconds 60
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daypass_bench .venv/bin/python bench/load.py

1. rebuilds the benchmark database: `--gate-devices` fleet devices whose paid window has ended
   (each with a bound, activated license), and one subtree per API writer (a customer with a
   child, licenses and devices of its own, so writers never touch each other's rows);
2. starts `daypass run --no-demo` (gunicorn, the scheduler sweeping every `--sweep-interval`
   seconds) on 127.0.0.1:`--port`;
3. for `--seconds`: `--gate-threads` gateways report 10 random devices at a time; each writer
   locks/unlocks, sells/returns and moves a device back and forth in its subtree; `--consoles`
   signed-in console users browse the pages; halfway, the platform admin issues `--batch`
   licenses (the largest issue SPEC allows) through the API. Every client keeps its connection
   alive, as real clients do;
4. stops the server and runs `daypass audit`.

Prints, per kind of client, requests and p50/p99 latency; every 5xx and connection error with
its first example. Last line:
`load: N requests in S s, 5xx X, connection errors C, gate p99 P ms; batch B s; audit clean`.
Targets (issue 12): no 5xx, no connection error, a clean audit.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_database  # noqa: E402
from bench_database import device_number  # noqa: E402

HOST = "127.0.0.1"
PASSWORD = "bench-password-1"
WRITER_LICENSES = 20
WRITER_DEVICES = 5


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[int] = Counter()
        self.server_errors: list[str] = []
        self.connection_errors: list[str] = []

    def record(self, kind: str, status: int, seconds: float, what: str) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1
            if status >= 500:
                self.server_errors.append(f"{kind} {what}: {status}")

    def failed(self, kind: str, what: str, error: Exception) -> None:
        with self.lock:
            self.connection_errors.append(f"{kind} {what}: {error!r}")


class Session:
    """One keep-alive connection to the server, with cookies; reconnects after an error."""

    def __init__(self, port: int, stats: Stats, kind: str):
        self.port = port
        self.stats = stats
        self.kind = kind
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)

    def request(self, method: str, path: str, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if isinstance(body, dict):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.stats.failed(self.kind, f"{method} {path}", error)
            self.connection.close()
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=120)
            return None, b""
        self.stats.record(self.kind, response.status, time.perf_counter() - started, path)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response, content

    def api(self, method: str, path: str, token: str, body=None):
        return self.request(method, "/api/v1" + path, body, {"Authorization": f"Bearer {token}"})


def set_up(args) -> dict:
    """The benchmark database: gateway devices, one subtree per writer, accounts and tokens."""
    bench_database.rebuild_database()
    from daypass.customers.accounts import account_create
    from daypass.customers.models import Customer
    from daypass.customers.services import customer_create
    from daypass.customers.tokens import token_create
    from daypass.devices.models import Device, DeviceModel
    from daypass.licenses.models import LicenseType
    from daypass.licenses.services import licenses_issue, licenses_sell

    now = datetime.now(UTC)
    bench_database.load_devices_and_licenses(
        count=args.gate_devices,
        now=now,
        service_until=now - timedelta(hours=1),
        with_licenses=True,
        available_days=365,  # a whole ledger: `daypass audit` must pass afterwards
    )
    fleet = Customer.objects.get(name="Bench fleet")
    platform = fleet.parent
    model = DeviceModel.objects.get(code="BENCH-1")
    license_type = LicenseType.objects.get(code="BENCH-365")

    def account(customer, username, role="admin"):
        return account_create(
            actor=None, customer=customer, username=username, password=PASSWORD, role=role, now=now
        )

    admin = account(platform, "bench-admin")
    gateway = account(platform, "bench-gateway", role="gateway")
    writers = []
    for w in range(args.writers):
        customer = customer_create(actor=None, parent=platform, name=f"Writer {w}", now=now)
        child = customer_create(actor=None, parent=customer, name=f"Writer {w} child", now=now)
        operator = account(customer, f"bench-writer-{w}", role="admin")
        child_admin = account(child, f"bench-writer-{w}-child")
        issued = licenses_issue(
            actor=admin, license_type=license_type, quantity=WRITER_LICENSES, now=now
        )
        licenses_sell(actor=admin, licenses=list(issued), to=customer, now=now)
        devices = [
            Device.objects.create(
                number=f"W{w}-{i:05d}", model=model, customer=customer, registered_at=now
            ).number
            for i in range(WRITER_DEVICES)
        ]
        writers.append(
            {
                "token": token_create(account=operator, name="bench", now=now)[1],
                "child_token": token_create(account=child_admin, name="bench", now=now)[1],
                "cards": [lic.card for lic in issued],
                "devices": devices,
                "customer": customer.number,
                "child": child.number,
            }
        )
    consoles = [account(platform, f"bench-console-{c}").username for c in range(args.consoles)]
    return {
        "admin_token": token_create(account=admin, name="bench", now=now)[1],
        "gateway_token": token_create(account=gateway, name="bench", now=now)[1],
        "writers": writers,
        "consoles": consoles,
    }


def gate_client(port, stats, stop, token, numbers, seed):
    chooser = random.Random(seed)
    session = Session(port, stats, "gate")
    while not stop.is_set():
        reports = [{"device": n} for n in chooser.sample(numbers, 10)]
        session.api("POST", "/gate/reports", token, {"reports": reports})


def writer_client(port, stats, stop, writer, seed):
    chooser = random.Random(seed)
    session = Session(port, stats, "writer")
    token = writer["token"]
    while not stop.is_set():
        card = chooser.choice(writer["cards"])
        step = chooser.randrange(3)
        if step == 0:
            session.api("POST", f"/licenses/{card}/lock", token)
            session.api("POST", f"/licenses/{card}/unlock", token)
        elif step == 1:
            session.api("POST", "/licenses/sell", token, {"to": writer["child"], "cards": [card]})
            session.api("POST", "/licenses/return", writer["child_token"], {"cards": [card]})
        else:
            device = chooser.choice(writer["devices"])
            for to in (writer["child"], writer["customer"]):
                session.api("POST", "/devices/transfer", token, {"devices": [device], "to": to})
        session.api("GET", "/licenses?page_size=20", token)


def console_client(port, stats, stop, username):
    session = Session(port, stats, "console")
    _response, page = session.request("GET", "/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        stats.failed("console", "GET /login/", RuntimeError("no login form"))
        return
    session.request(
        "POST",
        "/login/",
        urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match[1].decode()}
        ),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    pages = ["/", "/licenses/", "/devices/", "/sales-records/", "/deduction-records/"]
    while not stop.is_set():
        for path in pages:
            session.request("GET", path)
            time.sleep(0.2)


def wait_until_serving(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"daypass run exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    sys.exit("daypass run did not start within 120 s")


def ms(latencies: list[float], quantile: int) -> float:
    if len(latencies) < 2:
        return (latencies[0] if latencies else 0.0) * 1000
    return statistics.quantiles(latencies, n=100, method="inclusive")[quantile - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long the load runs")
    parser.add_argument("--port", type=int, default=8130, help="port on 127.0.0.1")
    parser.add_argument("--gate-devices", type=int, default=20_000)
    parser.add_argument("--gate-threads", type=int, default=6)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--consoles", type=int, default=2)
    parser.add_argument("--sweep-interval", type=int, default=5)
    parser.add_argument(
        "--batch", type=int, default=100_000, help="licenses issued halfway (0: none)"
    )
    args = parser.parse_args()

    url = bench_database.database_url()
    setup = set_up(args)
    from django.db import connections

    connections.close_all()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DAYPASS_SWEEP_INTERVAL_SECONDS": str(args.sweep_interval),
        "DAYPASS_LOG_LEVEL": "WARNING",
    }
    daypass = [sys.executable, "-m", "daypass.cli"]
    log = open(Path(bench_database.REPO) / "data" / f"load-server-{args.port}.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [*daypass, "run", "--no-demo", "--host", HOST, "--port", str(args.port), "--threads", "8"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    stats = Stats()
    stop = threading.Event()
    try:
        wait_until_serving(args.port, server)
        numbers = [device_number(i) for i in range(1, args.gate_devices + 1)]
        threads = [
            threading.Thread(
                target=gate_client,
                args=(args.port, stats, stop, setup["gateway_token"], numbers, i),
            )
            for i in range(args.gate_threads)
        ]
        threads += [
            threading.Thread(target=writer_client, args=(args.port, stats, stop, writer, i))
            for i, writer in enumerate(setup["writers"])
        ]
        threads += [
            threading.Thread(target=console_client, args=(args.port, stats, stop, username))
            for username in setup["consoles"]
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        batch_seconds = 0.0
        if args.batch:
            time.sleep(args.seconds / 2)
            admin = Session(args.port, stats, "batch")
            batch_started = time.perf_counter()
            response, content = admin.api(
                "POST",
                "/licenses/issue",
                setup["admin_token"],
                {"type": "BENCH-365", "quantity": args.batch},
            )
            batch_seconds = time.perf_counter() - batch_started
            status = response.status if response is not None else "no answer"
            print(
                f"batch: issue {args.batch} answered {status} in {batch_seconds:.2f}s", flush=True
            )
        time.sleep(max(0.0, args.seconds - (time.perf_counter() - started)))
        stop.set()
        for thread in threads:
            thread.join(180)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    audit = subprocess.run([*daypass, "audit"], env=env, capture_output=True, text=True)
    total = sum(stats.statuses.values())
    for kind, latencies in sorted(stats.latencies.items()):
        print(
            f"{kind}: {len(latencies)} requests, p50 {ms(latencies, 50):.0f}ms,"
            f" p99 {ms(latencies, 99):.0f}ms, max {max(latencies) * 1000:.0f}ms"
        )
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(stats.statuses.items())))
    for label, errors in (
        ("5xx", stats.server_errors),
        ("connection errors", stats.connection_errors),
    ):
        if errors:
            print(f"{label}: {len(errors)}, first: {errors[0]}")
    print(audit.stdout.strip().splitlines()[-1] if audit.stdout.strip() else audit.stderr.strip())
    verdict = "clean" if audit.returncode == 0 else f"FAILED ({audit.returncode})"
    print(
        f"load: {total} requests in {elapsed:.0f} s, 5xx {len(stats.server_errors)}, "
        f"connection errors {len(stats.connection_errors)}, "
        f"gate p99 {ms(stats.latencies['gate'], 99):.0f} ms; batch {batch_seconds:.1f} s; "
        f"audit {verdict}"
    )


if __name__ == "__main__":
    main()
