"""Webhook deliveries benchmark: drain a backlog with one `daypass deliver`, to a local receiver.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daypass_bench \
        .venv/bin/python bench/deliveries.py --deliveries 100000

Rebuilds the benchmark database, loads N events of one customer and their N pending deliveries
to one endpoint (bulk COPY / executemany), starts a minimal keep-alive HTTP receiver on
127.0.0.1 in its own process, then times `daypass deliver` (a real subprocess, as cron runs it)
until the backlog is drained. While it runs, its resident memory is sampled from /proc, so a
leak would show as growth between the first and the last quarter of the run. Finally checks
that every delivery is `delivered` and the receiver got exactly N requests.

Last line: `deliveries: N in S s, X/s, peak RSS M MB`. Target: X ≥ 300 with one worker, memory
flat (the last quarter's RSS within a few MB of the first quarter's).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_database  # noqa: E402
from bench_database import REPO, Stopwatch  # noqa: E402

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def serve_receiver(port_file: str) -> None:
    """The receiver process: answers 200 to every POST, counts them, prints the count on exit."""
    count = 0
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            nonlocal count
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                count += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format, *args):
            pass

    ThreadingHTTPServer.request_queue_size = 256  # all the sender's connections at once
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Path(port_file).write_text(str(server.server_address[1]))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    print(count, flush=True)


def start_receiver(tmp: Path) -> tuple[subprocess.Popen, int]:
    port_file = tmp / "receiver.port"
    port_file.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port_file)], stdout=subprocess.PIPE, text=True
    )
    for _ in range(200):
        if port_file.exists() and port_file.read_text():
            return process, int(port_file.read_text())
        time.sleep(0.05)
    raise SystemExit("the receiver did not start")


def load(count: int, url: str) -> None:
    from django.db import connection, transaction

    from daypass.customers.services import customer_create
    from daypass.events.models import Event
    from daypass.webhooks.endpoint_secrets import secret_encrypt, secret_generate
    from daypass.webhooks.models import Delivery, WebhookEndpoint

    with transaction.atomic():
        platform = customer_create(actor=None, parent=None, name="Bench platform", now=NOW)
        fleet = customer_create(actor=None, parent=platform, name="Bench fleet", now=NOW)
        endpoint = WebhookEndpoint.objects.create(
            customer=fleet,
            url=url,
            secret_encrypted=secret_encrypt(secret_generate()),
            created_at=NOW,
        )
        data = json.dumps({"license": {"card": "C0000000001", "available_days": 0}})
        bench_database.bulk_insert(
            Event._meta.db_table,
            ["uid", "type", "customer_id", "at", "data"],
            ((f"evt_bench{n:024d}", "license.expired", fleet.pk, NOW, data) for n in range(count)),
        )
        first = Event.objects.order_by("id").values_list("id", flat=True).first()
        bench_database.bulk_insert(
            Delivery._meta.db_table,
            [
                "endpoint_id",
                "event_id",
                "status",
                "attempts",
                "next_attempt_at",
                "created_at",
                "last_error",
                "last_response_body",
            ],
            ((endpoint.pk, first + n, "pending", 0, NOW, NOW, "", "") for n in range(count)),
        )
    connection.close()


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_receiver(args.serve)
        return

    url = bench_database.database_url()
    os.environ["DAYPASS_WEBHOOK_ALLOW_PRIVATE"] = "true"
    print(f"database: {url}")
    bench_database.rebuild_database()
    tmp = REPO / "data"
    tmp.mkdir(exist_ok=True)
    receiver, port = start_receiver(tmp)
    try:
        with Stopwatch() as loading:
            load(args.deliveries, f"http://127.0.0.1:{port}/hook")
            bench_database.vacuum_analyze()
        print(f"loaded {args.deliveries} pending deliveries in {loading.seconds:.1f}s")

        samples: list[float] = []
        started = time.perf_counter()
        worker = subprocess.Popen(
            [sys.executable, "-m", "django", "deliver"],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "daypass.settings"},
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        while worker.poll() is None:
            sample = rss_mb(worker.pid)
            if sample is not None:
                samples.append(sample)
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        output = worker.stdout.read()
    finally:
        receiver.send_signal(2)  # SIGINT: the receiver prints its count
        received = int(receiver.communicate(timeout=30)[0].strip() or 0)

    import django

    django.setup()
    from daypass.webhooks.models import Delivery

    delivered = Delivery.objects.filter(status="delivered").count()
    print(output.strip())
    if worker.returncode != 0 or delivered != args.deliveries or received != args.deliveries:
        sys.exit(
            f"FAILED: exit {worker.returncode}, {delivered} delivered, {received} received, "
            f"expected {args.deliveries}"
        )
    quarter = max(1, len(samples) // 4)
    first, last = samples[:quarter], samples[-quarter:]
    print(
        f"RSS (MB) sampled {len(samples)} times: first quarter max {max(first):.1f}, "
        f"last quarter max {max(last):.1f}"
    )
    peak = max(samples)
    rate = args.deliveries / seconds
    print(f"deliveries: {args.deliveries} in {seconds:.1f} s, {rate:.0f}/s, peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
