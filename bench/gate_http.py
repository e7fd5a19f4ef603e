"""Gate benchmark over HTTP: the real server (gunicorn, production settings, PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daypass_bench_http \
        .venv/bin/python bench/gate_http.py --devices 100000

1. Recreates the benchmark database (its name must contain "bench"), loads N devices whose paid
   window is still running (the gateway's everyday case: answered `paid`), a gateway account and
   its token.
2. Starts gunicorn with DAYPASS_DEBUG=false, a random secret key, `--workers` workers of
   `--worker-class` (gthread keeps connections alive; sync closes each one). The default, 8
   gthread workers of one thread each, spent the least CPU per gate call on 2 cores.
3. From separate processes (Debian's `wrk` if installed, else a multi-process http.client
   keep-alive load generator) drives, for `--seconds` each after a warm-up:
   - the floor: GET /api/v1/health (no auth, no database) — what the framework costs;
   - single: POST /api/v1/gate/reports with one random device per request;
   - batch: the same with 1,000 random devices per request.

The last two lines are
    gate_http: batch 1000, X devices/s, p99 Qms
    gate_http: single, X req/s, floor Y req/s, ratio R
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/daypass_bench_http"
GATE_PATH = "/api/v1/gate/reports"
FLOOR_PATH = "/api/v1/health"
BATCH = 1000
PREPARED_BATCHES = 50


# --- data -----------------------------------------------------------------------------------


def prepare_database(devices: int) -> str:
    """Rebuild the bench database with `devices` paid devices; return a gateway token."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    bench_database.database_url()
    bench_database.rebuild_database()
    now = datetime.now(UTC)
    started = time.perf_counter()
    bench_database.load_devices_and_licenses(
        count=devices, now=now, service_until=now + timedelta(days=30), with_licenses=False
    )
    from daypass.customers.models import Customer
    from daypass.customers.services import account_create
    from daypass.customers.tokens import token_create

    platform = Customer.objects.get(parent__isnull=True)
    gateway = account_create(
        actor=None,
        customer=platform,
        username="bench-gateway",
        password=secrets.token_urlsafe(16),
        role="gateway",
        now=now,
    )
    _token, secret = token_create(account=gateway, name="bench", now=now)
    from django.db import connections

    connections.close_all()
    print(f"load: {devices:,} paid devices in {time.perf_counter() - started:.1f}s")
    return secret


def gate_body(numbers: list[str]) -> bytes:
    return json.dumps({"reports": [{"device": n} for n in numbers]}).encode()


# --- the server -----------------------------------------------------------------------------


def refuse_a_taken_port(port: int) -> None:
    """Another server on the port would answer the health check and take the load instead."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            sys.exit(f"port {port} is taken by another server; choose one with --port")


def start_server(*, port: int, workers: int, worker_class: str, threads: int):
    refuse_a_taken_port(port)
    env = dict(os.environ)
    env.update(
        DAYPASS_DEBUG="false",
        DAYPASS_SECRET_KEY=secrets.token_urlsafe(50),
        DAYPASS_LOG_LEVEL="WARNING",
        DAYPASS_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="daypass.settings",
    )
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "daypass.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=env, cwd=REPO, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", FLOOR_PATH)
            if connection.getresponse().status == 200 and server.poll() is None:
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    sys.exit("gunicorn did not answer within 30 seconds")


def stop_server(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


# --- CPU accounting -------------------------------------------------------------------------
# On a shared 2-core machine req/s move with whatever else runs; the CPU the server side spends
# per request (gunicorn workers plus their PostgreSQL backends) does not, so it is printed too.

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def server_pids(server: subprocess.Popen, database: str) -> tuple[list[int], list[int]]:
    """The gunicorn master and workers; the PostgreSQL backends serving the bench database."""
    pids = [server.pid]
    backends = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text.startswith("postgres:") and f" {database} " in text:
            backends.append(int(cmdline.parent.name))
    return pids, backends


def server_cpu_seconds(server: subprocess.Popen, database: str) -> tuple[float, float]:
    """CPU seconds so far of (gunicorn, PostgreSQL backends)."""
    gunicorn, backends = server_pids(server, database)
    return (
        sum(process_cpu_seconds(pid) for pid in gunicorn),
        sum(process_cpu_seconds(pid) for pid in backends),
    )


# --- load with wrk --------------------------------------------------------------------------

WRK_SCRIPT = r"""
local bodies = {}
local token = os.getenv("BENCH_TOKEN")
local mode = os.getenv("BENCH_MODE")
local devices = tonumber(os.getenv("BENCH_DEVICES"))
local batch_file = os.getenv("BENCH_BATCH_FILE")

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  if mode == "batch" then
    for line in io.lines(batch_file) do bodies[#bodies + 1] = line end
  end
end

local headers = {["Content-Type"] = "application/json",
                 ["Authorization"] = "Bearer " .. (token or "")}
local n = 0

function request()
  if mode == "floor" then
    return wrk.format("GET", "/api/v1/health")
  elseif mode == "single" then
    local body = string.format('{"reports":[{"device":"B%014d"}]}', math.random(1, devices))
    return wrk.format("POST", "/api/v1/gate/reports", headers, body)
  else
    n = n + 1
    return wrk.format("POST", "/api/v1/gate/reports", headers, bodies[(n % #bodies) + 1])
  end
end

function done(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %d %d %.3f %.3f\n", summary.requests, summary.duration,
    bad, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def run_wrk(*, port, mode, seconds, connections, threads, env) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        script.name,
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(
        command, env={**os.environ, **env, "BENCH_MODE": mode}, capture_output=True, text=True
    )
    os.unlink(script.name)
    line = next((x for x in output.stdout.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        sys.exit(f"wrk failed: {output.stdout}\n{output.stderr}")
    _, requests, duration_us, bad, p50, p99 = line.split()
    return {
        "requests": int(requests),
        "seconds": int(duration_us) / 1e6,
        "errors": int(bad),
        "p50": float(p50),
        "p99": float(p99),
    }


# --- load with http.client (when wrk is not installed) --------------------------------------


def _client_worker(args) -> list[float]:
    port, mode, seconds, token, devices, batch_bodies, seed = args
    chooser = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        if mode == "floor":
            connection.request("GET", FLOOR_PATH)
        elif mode == "single":
            number = bench_database.device_number(chooser.randint(1, devices))
            connection.request("POST", GATE_PATH, gate_body([number]), headers)
        else:
            connection.request("POST", GATE_PATH, chooser.choice(batch_bodies), headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            errors += 1
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies + [-errors - 1]  # the last element carries the error count


def run_clients(*, port, mode, seconds, connections, token, devices, batch_bodies) -> dict:
    jobs = [(port, mode, seconds, token, devices, batch_bodies, i) for i in range(connections)]
    started = time.perf_counter()
    with multiprocessing.Pool(connections) as pool:
        results = pool.map(_client_worker, jobs)
    elapsed = time.perf_counter() - started
    errors = sum(-r[-1] - 1 for r in results)
    latencies = sorted(x for r in results for x in r[:-1])
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "errors": errors,
        "p50": quantiles[49],
        "p99": quantiles[98],
    }


def measure_load(
    seconds, *, use_wrk, port, mode, connections, token, devices, batch_file, batch_bodies
) -> dict:
    if use_wrk:
        env = {
            "BENCH_TOKEN": token,
            "BENCH_DEVICES": str(devices),
            "BENCH_BATCH_FILE": batch_file,
        }
        return run_wrk(
            port=port,
            mode=mode,
            seconds=seconds,
            connections=connections,
            threads=min(2, connections),
            env=env,
        )
    return run_clients(
        port=port,
        mode=mode,
        seconds=seconds,
        connections=connections,
        token=token,
        devices=devices,
        batch_bodies=batch_bodies,
    )


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per load")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--batch-connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--load", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()
    if args.worker_class == "sync" and args.threads != 1:
        args.threads = 1

    token = prepare_database(args.devices)
    from django.conf import settings

    database = settings.DATABASES["default"]["NAME"]
    chooser = random.Random(1)
    batch_lines = [
        gate_body(
            [bench_database.device_number(i) for i in chooser.sample(range(1, args.devices), BATCH)]
        )
        for _ in range(PREPARED_BATCHES)
    ]
    use_wrk = args.load == "wrk" or (args.load == "auto" and shutil.which("wrk"))
    server = start_server(
        port=args.port,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
    )
    batch_file = tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False)
    batch_file.write(b"\n".join(batch_lines) + b"\n")
    batch_file.close()
    print(
        f"server: gunicorn {args.workers} x {args.worker_class}"
        f" ({args.threads} threads), load: {'wrk' if use_wrk else 'http.client processes'},"
        f" {os.cpu_count()} cores"
    )
    results = {}
    try:
        for mode in ("floor", "single", "batch"):
            connections = args.batch_connections if mode == "batch" else args.connections
            load = partial(
                measure_load,
                use_wrk=use_wrk,
                port=args.port,
                mode=mode,
                connections=connections,
                token=token,
                devices=args.devices,
                batch_file=batch_file.name,
                batch_bodies=batch_lines,
            )
            load(2)  # warm-up: connections, worker caches, PostgreSQL buffers
            cpu_before = server_cpu_seconds(server, database)
            result = load(args.seconds)
            cpu_after = server_cpu_seconds(server, database)
            result["rate"] = result["requests"] / result["seconds"]
            requests = max(1, result["requests"])
            result["app_ms"] = (cpu_after[0] - cpu_before[0]) * 1000 / requests
            result["db_ms"] = (cpu_after[1] - cpu_before[1]) * 1000 / requests
            result["cpu_ms"] = result["app_ms"] + result["db_ms"]
            results[mode] = result
            print(
                f"{mode}: {result['rate']:,.0f} req/s, p50 {result['p50']:.2f}ms,"
                f" p99 {result['p99']:.2f}ms, {result['requests']:,} requests,"
                f" {result['errors']} errors, {connections} connections,"
                f" server CPU {result['cpu_ms']:.2f}ms/request"
                f" (gunicorn {result['app_ms']:.2f}, PostgreSQL {result['db_ms']:.2f})"
            )
            if result["errors"]:
                print(f"warning: {result['errors']} requests failed in {mode}")
    finally:
        stop_server(server)
        os.unlink(batch_file.name)

    batch = results["batch"]
    single, floor = results["single"], results["floor"]
    print(
        f"cpu: floor {floor['cpu_ms']:.2f}ms, single {single['cpu_ms']:.2f}ms,"
        f" batch {batch['cpu_ms']:.2f}ms per request (gunicorn + PostgreSQL backends);"
        f" single/floor by CPU {floor['cpu_ms'] / single['cpu_ms']:.2f};"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"gate_http: batch {BATCH}, {batch['rate'] * BATCH:,.0f} devices/s,"
        f" p99 {batch['p99']:.1f}ms"
    )
    print(
        f"gate_http: single, {single['rate']:,.0f} req/s, floor {floor['rate']:,.0f} req/s,"
        f" ratio {single['rate'] / floor['rate']:.2f}"
    )


if __name__ == "__main__":
    main()
