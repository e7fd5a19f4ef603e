"""The sweep on a schedule: `start_scheduler` for `daypass run`, and `daypass worker`."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from daypass.billing import scheduler
from daypass.billing.sweep import SweepResult
from tests.billing.conftest import NOW

REPO = Path(__file__).resolve().parents[2]


def test_scheduler_thread_sweeps_repeatedly_until_stopped(monkeypatch):
    swept = threading.Semaphore(0)
    calls = []

    def fake_sweep(*, now, **kwargs):
        calls.append(now)
        swept.release()
        return SweepResult(now=now)

    monkeypatch.setattr(scheduler, "sweep_run", fake_sweep)

    thread = scheduler.start_scheduler(interval_seconds=0.01)
    assert all(swept.acquire(timeout=5) for _ in range(3))
    thread.stop(timeout=5)

    assert not thread.is_alive()
    assert thread.daemon
    assert len(calls) >= 3
    assert calls == sorted(calls)  # each sweep takes its own, later, instant


def test_a_failing_sweep_does_not_stop_the_schedule(monkeypatch):
    stop = threading.Event()
    attempts = []

    def flaky_sweep(*, now, **kwargs):
        attempts.append(now)
        if len(attempts) == 1:
            raise RuntimeError("database went away")
        stop.set()
        return SweepResult(now=NOW)

    monkeypatch.setattr(scheduler, "sweep_run", flaky_sweep)

    scheduler.run_sweeps_until_stopped(interval_seconds=0.01, stop_event=stop)

    assert len(attempts) == 2


def test_importing_daypass_starts_no_scheduler():
    code = (
        "import threading, django; django.setup();"
        "import daypass.billing.scheduler, daypass.billing.sweep, daypass.billing.gate;"
        "from django.core.management import get_commands; get_commands();"
        "print(sorted(t.name for t in threading.enumerate()))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "daypass.settings"}

    output = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    ).stdout

    assert output.strip() == "['MainThread']"


def test_worker_sweeps_on_its_interval_and_stops_cleanly_on_sigterm(tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "daypass.settings",
        "PYTHONUNBUFFERED": "1",
    }
    django = [sys.executable, "-m", "django"]
    subprocess.run(
        [*django, "migrate", "-v", "0", "--skip-checks"], env=environment, cwd=REPO, check=True
    )
    worker = subprocess.Popen(
        [*django, "worker", "--interval", "0.2"],
        env=environment,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        while sum("Sweep at" in line for line in lines) < 2:
            line = worker.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        worker.send_signal(signal.SIGTERM)
        rest, _ = worker.communicate(timeout=30)
    finally:
        worker.kill()

    assert worker.returncode == 0
    assert "SIGTERM: stopping" in rest
    assert rest.rstrip().endswith("Worker stopped.")


def test_each_round_makes_the_deduction_partitions_before_sweeping(monkeypatch):
    stop = threading.Event()
    calls = []

    def sweep(*, now, **kwargs):
        calls.append(("sweep", now))
        stop.set()
        return SweepResult(now=now)

    monkeypatch.setattr(
        scheduler, "deduction_partitions_ensure", lambda *, now: calls.append(("partitions", now))
    )
    monkeypatch.setattr(scheduler, "sweep_run", sweep)

    scheduler.run_sweeps_until_stopped(interval_seconds=0.01, stop_event=stop)

    assert [what for what, _ in calls] == ["partitions", "sweep"]
    assert calls[0][1] == calls[1][1]


def test_a_failing_partition_job_does_not_stop_the_sweep(monkeypatch, caplog):
    stop = threading.Event()
    swept = []

    def broken(*, now):
        raise RuntimeError("cannot create the partition")

    def sweep(*, now, **kwargs):
        swept.append(now)
        stop.set()
        return SweepResult(now=now)

    monkeypatch.setattr(scheduler, "deduction_partitions_ensure", broken)
    monkeypatch.setattr(scheduler, "sweep_run", sweep)

    scheduler.run_sweeps_until_stopped(interval_seconds=0.01, stop_event=stop)

    assert len(swept) == 1
    assert "deduction partitions" in caplog.text
