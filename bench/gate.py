"""Gate benchmark: report checks per second through the service layer (`gate_check`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daypass_bench \
        .venv/bin/python bench/gate.py --devices 100000 --batch 1000

Builds N devices whose paid window is still running (the gateway's everyday case: answered
`paid` from one SELECT, no charge) in a freshly recreated benchmark database, then calls
`gate_check` with random devices, first one device per call, then `--batch` devices per call,
and prints throughput and per-call latency percentiles for both.

With `--blacklisted F`, that fraction of the devices is blacklisted and every batch holds that
fraction of them (refused, reason `blacklisted`): the gate then also records refusals (SPEC 14,
at most one write per device per minute, written behind by a thread of this process; the timed
run ends when they are written), and the script prints how many rows it wrote. With
`--write-through` it first times the same batches with the refusals written in the gate's call.

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


def measure(
    *,
    gate_check,
    numbers: list[str],
    batch: int,
    calls: int,
    now: datetime,
    refused: list[str] = (),
    refused_share: float = 0.0,
    after_warm_up=None,
    flush=None,
):
    """Time `calls` calls of `batch` random devices: (devices/s, p50 ms, p99 ms).

    `refused_share` of each batch comes from `refused` (blacklisted devices), the rest from
    `numbers` (paid devices). The clock runs as the wall clock does, from `now`, so refusals
    are recorded at most once a minute as in production. `flush` writes the refusals the gate
    buffered (SPEC 14, written behind by a thread of this process): the timed run ends when
    they are in the database, so their cost is in the figure.
    """
    chooser = random.Random(batch)
    refused_count = round(batch * refused_share) if refused else 0
    batches = []
    for _ in range(calls):
        chosen = chooser.sample(numbers, batch - refused_count)
        chosen += chooser.sample(refused, refused_count)
        chooser.shuffle(chosen)
        batches.append(chosen)
    expected = {"paid"} | ({"blacklisted"} if refused_count else set())
    for warm_up in batches[: max(1, calls // 20)]:
        # Two minutes earlier, so the timed run records these devices' refusals again.
        gate_check(device_numbers=warm_up, now=now - timedelta(minutes=2))
    if flush is not None:
        flush()
    if after_warm_up is not None:
        after_warm_up()
    latencies = []
    started = perf_counter()
    for device_numbers in batches:
        call_started = perf_counter()
        results = gate_check(
            device_numbers=device_numbers, now=now + timedelta(seconds=call_started - started)
        )
        latencies.append(perf_counter() - call_started)
        reasons = {result.reason for result in results}
        if reasons != expected:
            sys.exit(f"unexpected answers {reasons - expected or reasons}")
    if flush is not None:
        flush()
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
    parser.add_argument(
        "--blacklisted",
        type=float,
        default=0.0,
        help="fraction of the devices (and of every batch) that is blacklisted, 0 to 0.9",
    )
    parser.add_argument(
        "--write-through",
        action="store_true",
        help="with --blacklisted: first time the same batches with the refusals written in the "
        "gate's own call (DAYPASS_REFUSALS_FLUSH_SECONDS=0), for comparison",
    )
    args = parser.parse_args()
    if not 0 <= args.blacklisted <= 0.9:
        sys.exit("--blacklisted must be between 0 and 0.9")
    if not 1 <= args.batch <= args.devices:
        sys.exit("--batch must be between 1 and --devices")
    bench_database.database_url()

    now = datetime.now(UTC)
    bench_database.rebuild_database()
    from django.db import connection

    with Stopwatch() as load:
        bench_database.load_devices_and_licenses(
            count=args.devices,
            now=now,
            service_until=now + timedelta(days=1),
            with_licenses=False,
            blacklisted=args.blacklisted,
        )
    print(f"load: {args.devices} paid devices in {load.seconds:.1f}s ({connection.vendor})")

    from daypass.billing.gate import gate_check

    numbers, refused = [], []
    for i in range(1, args.devices + 1):
        blacklisted = bench_database.in_fraction(i, args.blacklisted)
        (refused if blacklisted else numbers).append(device_number(i))
    if refused:
        print(f"blacklisted: {len(refused)} devices, {args.blacklisted:.0%} of every batch")
    rate, p50, p99 = measure(
        gate_check=gate_check, numbers=numbers, batch=1, calls=args.single_calls, now=now
    )
    print(f"gate single: batch 1, {rate:,.0f} devices/s, p50 {p50:.2f}ms, p99 {p99:.2f}ms")
    calls = max(20, args.checks // args.batch)
    if refused:
        # The same batches without refusals, for the ratio on this (noisy, shared) machine.
        paid_rate, _, _ = measure(
            gate_check=gate_check, numbers=numbers, batch=args.batch, calls=calls, now=now
        )
        print(f"gate paid only: batch {args.batch}, {paid_rate:,.0f} devices/s")
    from django.conf import settings

    from daypass.billing.refusals import refusals_flush

    batched_from = datetime.now(UTC) + timedelta(minutes=5)  # past the single run's minute
    if refused and args.write_through:
        flush_seconds = settings.DAYPASS_REFUSALS_FLUSH_SECONDS
        settings.DAYPASS_REFUSALS_FLUSH_SECONDS = 0
        before: dict[int, int] = {}
        rate, p50, p99 = measure(
            gate_check=gate_check,
            numbers=numbers,
            batch=args.batch,
            calls=calls,
            now=batched_from,
            refused=refused,
            refused_share=args.blacklisted,
            after_warm_up=lambda: before.update(refusal_counts()),
        )
        report_refusal_writes(before=before, seconds=args.batch * calls / rate)
        print(
            f"gate refusals written through: batch {args.batch}, {rate:,.0f} devices/s, "
            f"p50 {p50:.2f}ms, p99 {p99:.2f}ms"
        )
        settings.DAYPASS_REFUSALS_FLUSH_SECONDS = flush_seconds
        batched_from += timedelta(minutes=5)  # past that run's minute
    if refused:
        print(f"refusals written behind every {settings.DAYPASS_REFUSALS_FLUSH_SECONDS}s")
    before = {}
    rate, p50, p99 = measure(
        gate_check=gate_check,
        numbers=numbers,
        batch=args.batch,
        calls=calls,
        now=batched_from,
        refused=refused,
        refused_share=args.blacklisted,
        after_warm_up=lambda: before.update(refusal_counts()) if refused else None,
        flush=refusals_flush,
    )
    if refused:
        report_refusal_writes(before=before, seconds=args.batch * calls / rate)
    print(f"peak RSS {bench_database.peak_rss_mb():.0f} MB")
    print(f"gate: batch {args.batch}, {rate:,.0f} devices/s, p50 {p50:.2f}ms, p99 {p99:.2f}ms")


def refusal_counts() -> dict[int, int]:
    from daypass.devices.models import Device

    return dict(Device.objects.filter(blacklisted=True).values_list("pk", "refused_reports"))


def report_refusal_writes(*, before: dict[int, int], seconds: float) -> None:
    """Rows the timed batched run wrote to record refusals, against the one-a-minute budget."""
    after = refusal_counts()
    recorded = {pk: count - before.get(pk, 0) for pk, count in after.items()}
    writes = sum(recorded.values())
    most = max(recorded.values(), default=0)
    budget = int(seconds // 60) + 1
    verdict = "within" if most <= budget else "OVER"
    print(
        f"refusal writes: {writes} rows for {len(after)} blacklisted devices in {seconds:.1f}s "
        f"({writes / seconds:,.0f} rows/s); at most {most} per device, {verdict} the budget of "
        f"one per device per minute ({budget})"
    )


if __name__ == "__main__":
    main()
