"""`daypass worker` stops, within a bound, whatever phase of a sweep SIGTERM lands in (issue 8).

The worker runs in a child process on its own SQLite file with due devices. A small wrapper
around the real sweep's steps prints a marker when a phase begins and lingers there a moment,
so the test can send SIGTERM exactly in that phase: locking the due devices of a chunk,
charging a chunk, between two chunks, idle between sweeps, during an outbox round, and in a
chunk stuck on a lock that will not come (bounded by DAYPASS_WORKER_STOP_SECONDS). After
every stop, the books balance: each device is charged at most once and `daypass audit` agrees.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEVICES = 60

SETUP = textwrap.dedent(
    """
    import django
    django.setup()
    from datetime import timedelta
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from tests import factories
    from daypass.licenses.models import License
    platform = factories.make_customer(name="Platform")
    fleet = factories.make_customer(parent=platform, name="Fleet")
    model = factories.make_device_model()
    kind = factories.make_license_type(models=[model], days=30)
    for _ in range({devices}):
        device = factories.make_device(customer=fleet, model=model)
        factories.make_license(
            customer=fleet, type=kind, device=device, bound_at=factories.NOW - timedelta(days=2),
            activated_at=factories.NOW - timedelta(days=2),
        )
    """
)

# The worker, with each step of the real sweep announced (and slowed) so a test can aim.
WORKER = textwrap.dedent(
    """
    import sys, threading, time
    import django
    django.setup()
    from daypass.billing import sweep
    from daypass.webhooks import scheduler as outbox_scheduler

    PHASE = sys.argv[1]
    lock_due, charge = sweep._lock_due_devices, sweep._charge_chunk_sqlite
    sweeps = []

    def say(marker):
        print("PHASE " + marker, flush=True)

    def locking(**kwargs):
        if PHASE == "lock":
            say("lock")
            time.sleep(1)
        return lock_due(**kwargs)

    def charging(**kwargs):
        if PHASE == "charge":
            say("charge")
            time.sleep(1)
        if PHASE == "stuck":
            say("stuck")
            threading.Event().wait()  # a lock that never comes
        done = charge(**kwargs)
        if PHASE == "between":
            say("between")
            time.sleep(1)
        return done

    sweep._lock_due_devices, sweep._charge_chunk_sqlite = locking, charging
    real_sweep_run = sweep.sweep_run

    def sweep_run(**kwargs):
        result = real_sweep_run(**kwargs)
        sweeps.append(result)
        if PHASE == "idle" and len(sweeps) == 1:
            say("idle")
        return result

    import daypass.billing.scheduler as billing_scheduler
    billing_scheduler.sweep_run = sweep_run
    real_round = outbox_scheduler.outbox_run_once

    def outbox_round(**kwargs):
        if PHASE == "outbox":
            say("outbox")
            time.sleep(1)
        return real_round(**kwargs)

    outbox_scheduler.outbox_run_once = outbox_round
    from django.core.management import call_command
    call_command("worker", "--interval", "3600")
    """
)


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    folder = tmp_path_factory.mktemp("worker-stop")
    path = folder / "template.sqlite3"
    subprocess.run(
        [sys.executable, "-c", SETUP.format(devices=DEVICES)],
        env=_environment(path),
        cwd=REPO,
        check=True,
        timeout=120,
    )
    return path


def _environment(path: Path, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DAYPASS_", "DATABASE_"))},
        "DATABASE_URL": f"sqlite:///{path}",
        "DAYPASS_DATA_DIR": str(path.parent),
        "DJANGO_SETTINGS_MODULE": "daypass.settings",
        "DAYPASS_SWEEP_CHUNK_SIZE": "20",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _copy(template: Path, phase: str) -> Path:
    path = template.parent / f"{phase}.sqlite3"
    path.write_bytes(template.read_bytes())
    return path


def _audit(path: Path) -> str:
    code = (
        "import django; django.setup();"
        "from daypass.billing.models import Deduction;"
        "from daypass.billing.ledger_audit import ledger_audit;"
        "from django.db.models import Count;"
        "twice = Deduction.objects.values('device').annotate(n=Count('id')).filter(n__gt=1);"
        "print(len(ledger_audit()), twice.count(), Deduction.objects.count())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=_environment(path),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("phase", "stop_seconds", "within"),
    [
        ("lock", "30", 15),
        ("charge", "30", 15),
        ("between", "30", 15),
        ("idle", "30", 15),
        ("outbox", "30", 15),
        ("stuck", "2", 12),
    ],
)
def test_sigterm_in_each_phase_stops_the_worker_in_bounded_time(
    database, phase, stop_seconds, within
):
    path = _copy(database, phase)
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, phase],
        env=_environment(path, DAYPASS_WORKER_STOP_SECONDS=stop_seconds),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 90
        while f"PHASE {phase}\n" not in lines:
            line = worker.stdout.readline()
            assert line and time.monotonic() < deadline, "".join(lines)
            lines.append(line)
        worker.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        rest, _ = worker.communicate(timeout=within)
        took = time.monotonic() - signalled
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    assert worker.returncode == 0, "".join(lines) + rest
    assert "SIGTERM: stopping" in rest
    assert took < within
    if phase == "stuck":
        assert "Worker stopped after 2s without waiting further for daypass-sweep" in rest
    else:
        assert rest.rstrip().endswith("Worker stopped."), rest
    problems, charged_twice, deductions = _audit(path).split()
    assert (problems, charged_twice) == ("0", "0")
    assert int(deductions) <= DEVICES
