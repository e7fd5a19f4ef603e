"""Gate benchmark: report checks per second through the service layer (`gate_check`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daypass_bench \
        .venv/bin/python bench/gate.py --devices 100000 --batch 1000

Builds N devices whose paid window is still running (the gateway's everyday case: answered
`paid` from one SELECT, no charge) in a freshly recreated benchmark database, then calls
`gate_check` with random devices, first one device per call, then `--batch` devices per call,
and prints throughput and per-call latency percentiles for both.

Last line: `gate: batch B, X devices/s, p50 Pms, p99 Qms` (the batched run).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_database  # noqa: E402
from bench_database import Stopwatch, device_number  # noqa: E402


def measure(*, gate_check, numbers: list[str], batch: int, calls: int, now: datetime):
    """Time `calls` calls of `batch` random devices: (devices/s, p50 ms, p99 ms)."""
    chooser = random.Random(batch)
    batches = [chooser.sample(numbers, batch) for _ in range(calls)]
    for warm_up in batches[: max(1, calls // 20)]:
        gate_check(device_numbers=warm_up, now=now)
    latencies = []
    started = perf_counter()
    for device_numbers in batches:
        call_started = perf_counter()
        results = gate_check(device_numbers=device_numbers, now=now)
        latencies.append(perf_counter() - call_started)
        if results[0].reason != "paid":
            sys.exit(f"unexpected answer {results[0]}")
    seconds = perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return batch * calls / seconds, quantiles[49] * 1000, quantiles[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000, help="devices in the database")
    parser.add_argument("--batch", type=int, default=1000, help="devices per gate call")
    parser.add_argument(
        "--checks", type=int, default=300_000, help="device checks in the batched run"
    )
    parser.add_argument("--single-calls", type=int, default=3000, help="calls of one device")
    args = parser.parse_args()
    if not 1 <= args.batch <= args.devices:
        sys.exit("--batch must be between 1 and --devices")
    bench_database.database_url()

    now = datetime.now(UTC)
    bench_database.rebuild_database()
    from django.db import connection

    with Stopwatch() as load:
        bench_database.load_devices_and_licenses(
            count=args.devices, now=now, service_until=now + timedelta(days=1), with_licenses=False
        )
    print(f"load: {args.devices} paid devices in {load.seconds:.1f}s ({connection.vendor})")

    from daypass.billing.gate import gate_check

    numbers = [device_number(i) for i in range(1, args.devices + 1)]
    rate, p50, p99 = measure(
        gate_check=gate_check, numbers=numbers, batch=1, calls=args.single_calls, now=now
    )
    print(f"gate single: batch 1, {rate:,.0f} devices/s, p50 {p50:.2f}ms, p99 {p99:.2f}ms")
    calls = max(20, args.checks // args.batch)
    rate, p50, p99 = measure(
        gate_check=gate_check, numbers=numbers, batch=args.batch, calls=calls, now=now
    )
    print(f"peak RSS {bench_database.peak_rss_mb():.0f} MB")
    print(f"gate: batch {args.batch}, {rate:,.0f} devices/s, p50 {p50:.2f}ms, p99 {p99:.2f}ms")


if __name__ == "__main__":
    main()
