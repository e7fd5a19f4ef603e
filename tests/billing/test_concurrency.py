"""SPEC 4.4 under real concurrency, on PostgreSQL: threads and processes racing to charge.

Every test asserts exact counts: one success deduction per device and window, days taken once.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections

from daypass.billing.gate import gate_check
from daypass.billing.ledger_audit import ledger_audit
from daypass.billing.models import Deduction
from daypass.billing.sweep import sweep_run
from daypass.devices.models import Device
from daypass.licenses.models import License
from tests import factories
from tests.billing.conftest import DAY, NOW, bound_license, requires_postgresql

pytestmark = [
    pytest.mark.postgres,
    requires_postgresql,
    pytest.mark.django_db(transaction=True),
]

REPO = Path(__file__).resolve().parents[2]


def run_in_threads(count, target):
    """Start `count` threads that wait for each other, then call `target(index)` together."""
    barrier = threading.Barrier(count)
    errors = []
    results = [None] * count

    def body(index):
        try:
            barrier.wait(timeout=30)
            results[index] = target(index)
        except Exception as error:  # reported below, so a failing thread fails the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def make_due_devices(count, *, activated=True):
    platform = factories.make_customer(name="Platform")
    owner = factories.make_customer(parent=platform, name="Fleet")
    model = factories.make_device_model()
    license_type = factories.make_license_type(models=[model], days=30)
    devices = []
    for _ in range(count):
        device = factories.make_device(customer=owner, model=model)
        bound_license(
            device=device, type=license_type, activated_at=NOW - DAY if activated else None
        )
        devices.append(device)
    return devices


def assert_charged_exactly_once(devices):
    success = Deduction.objects.filter(result="success")
    assert success.count() == len(devices)
    assert set(success.values_list("device_id", flat=True)) == {d.pk for d in devices}
    assert not Deduction.objects.filter(result="failed").exists()
    assert set(License.objects.values_list("available_days", flat=True)) == {29}
    assert ledger_audit() == []


def test_twenty_reports_of_one_due_device_charge_it_once():
    [device] = make_due_devices(1, activated=False)

    results = run_in_threads(20, lambda i: gate_check(device_numbers=[device.number], now=NOW))

    reasons = sorted(result[0].reason for result in results)
    assert reasons == ["charged"] + ["paid"] * 19
    assert all(result[0].allowed for result in results)
    assert_charged_exactly_once([device])


def test_two_sweeps_at_once_charge_each_due_device_once():
    devices = make_due_devices(300)

    results = run_in_threads(2, lambda i: sweep_run(now=NOW, chunk_size=25))

    assert sum(result.charged for result in results) == 300
    assert_charged_exactly_once(devices)


def test_four_sweeping_processes_share_the_work_and_charge_each_device_once():
    devices = make_due_devices(400)
    environment = {
        **os.environ,
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict),
        "DAYPASS_SWEEP_CHUNK_SIZE": "20",
        "DJANGO_SETTINGS_MODULE": "daypass.settings",
    }
    command = [sys.executable, "-m", "django", "charge", "--verbosity", "0"]

    processes = [
        subprocess.Popen(command, env=environment, cwd=REPO, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]

    assert [process.returncode for process in processes] == [0, 0, 0, 0], outputs
    assert_charged_exactly_once(devices)


def test_reports_racing_the_sweep_charge_each_device_once():
    devices = make_due_devices(200, activated=True)
    numbers = [device.number for device in devices]

    def race(index):
        if index == 0:
            return sweep_run(now=NOW, chunk_size=10)
        # Three gateways report every device, in different orders, while the sweep runs.
        order = numbers if index % 2 else list(reversed(numbers))
        return gate_check(device_numbers=order, now=NOW)

    results = run_in_threads(4, race)

    for gate_results in results[1:]:
        assert all(result.allowed for result in gate_results)
    assert_charged_exactly_once(devices)


def test_a_failure_after_the_license_update_in_a_report_leaves_nothing(monkeypatch):
    [device] = make_due_devices(1, activated=False)

    def crash(**kwargs):
        raise RuntimeError("injected after the license update")

    monkeypatch.setattr("daypass.billing.deduction._grant_service", crash)
    with pytest.raises(RuntimeError):
        gate_check(device_numbers=[device.number], now=NOW)

    license = License.objects.get()
    assert (license.available_days, license.activated_at) == (30, None)
    assert Device.objects.get().service_until is None
    assert not Deduction.objects.exists()


def test_two_workers_share_one_database_and_stop_cleanly():
    devices = make_due_devices(200)
    environment = {
        **os.environ,
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict),
        "DAYPASS_SWEEP_CHUNK_SIZE": "10",
        "DJANGO_SETTINGS_MODULE": "daypass.settings",
    }
    command = [sys.executable, "-m", "django", "worker", "--interval", "0.1"]
    workers = [
        subprocess.Popen(command, env=environment, cwd=REPO, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while Deduction.objects.count() < 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a few more sweeps at later instants: nothing is due again for a day
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert all(output.rstrip().endswith("Worker stopped.") for output in outputs)
    assert_charged_exactly_once(devices)
