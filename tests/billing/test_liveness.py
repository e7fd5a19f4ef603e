"""SPEC 14: the gate remembers refused reports (`last_refused_at`, `refused_reports`), at most
one write per device per minute, and lifting the blacklist resets the count.

Tests run with the refusals written through (tests/conftest.py); the `written_behind` ones set
the production mode, a buffer written by `refusals_flush` (here, by hand: the interval is too
long for the flusher thread to wake during a test) or by the flusher thread (PostgreSQL).
"""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from daypass.billing import refusals as refusals_module
from daypass.billing.gate import gate_check
from daypass.billing.refusals import refusals_flush, refusals_record
from daypass.devices.models import Device
from daypass.devices.services import device_clear_blacklist
from daypass.licenses.services import license_top_up
from tests import factories
from tests.billing.conftest import DAY, HOUR, NOW, bound_license, requires_postgresql

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


def blacklisted_device(owner, model, **fields):
    fields.setdefault("blacklisted_at", NOW - DAY)
    return factories.make_device(customer=owner, model=model, blacklisted=True, **fields)


def refusals(device):
    device.refresh_from_db()
    return device.last_refused_at, device.refused_reports


def test_a_refused_report_is_recorded(owner, model):
    device = blacklisted_device(owner, model)

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result.reason == "blacklisted"
    assert refusals(device) == (NOW, 1)


def test_a_new_device_starts_with_no_refusals(owner, model):
    device = factories.make_device(customer=owner, model=model)

    assert refusals(device) == (None, 0)


def test_refusals_less_than_a_minute_apart_are_recorded_once(owner, model):
    device = blacklisted_device(owner, model)

    for seconds in (0, 1, 30, 59):
        gate_check(device_numbers=[device.number], now=NOW + seconds * SECOND)

    assert refusals(device) == (NOW, 1)


def test_a_refusal_a_minute_after_the_last_recorded_one_is_recorded(owner, model):
    device = blacklisted_device(owner, model)

    for seconds in (0, 59, 60, 61, 130):
        gate_check(device_numbers=[device.number], now=NOW + seconds * SECOND)

    # Recorded at 0, 60 and 130 s: 59 and 61 were less than a minute after a recorded one.
    assert refusals(device) == (NOW + 130 * SECOND, 3)


def test_the_same_device_twice_in_a_batch_is_recorded_once(owner, model):
    device = blacklisted_device(owner, model)

    gate_check(device_numbers=[device.number] * 5, now=NOW)

    assert refusals(device) == (NOW, 1)


def test_a_failed_charge_records_the_refusal(owner, model):
    device = factories.make_device(customer=owner, model=model)

    results = gate_check(device_numbers=[device.number, device.number], now=NOW)

    assert [r.reason for r in results] == ["no_valid_license", "blacklisted"]
    assert refusals(device) == (NOW, 1)


def test_allowed_and_unknown_devices_record_nothing(owner, model):
    paid = factories.make_device(customer=owner, model=model, service_until=NOW + HOUR)
    due = factories.make_device(customer=owner, model=model, service_until=NOW - HOUR)
    bound_license(device=due, activated_at=NOW - DAY)

    results = gate_check(device_numbers=[paid.number, due.number, "nope"], now=NOW)

    assert [r.reason for r in results] == ["paid", "charged", "unknown_device"]
    assert refusals(paid) == (None, 0)
    assert refusals(due) == (None, 0)


def test_a_batch_of_refusals_is_one_write_and_then_none_within_the_minute(owner, model):
    devices = [blacklisted_device(owner, model) for _ in range(20)]
    numbers = [d.number for d in devices]

    with CaptureQueriesContext(connection) as first:
        gate_check(device_numbers=numbers, now=NOW)
    with CaptureQueriesContext(connection) as again:
        gate_check(device_numbers=numbers, now=NOW + 30 * SECOND)

    def updates(queries):
        return [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]

    assert len(updates(first)) == 1  # one UPDATE for the whole batch
    assert len(updates(again)) == 0  # within the minute: the read only
    assert len([q for q in again.captured_queries if "SAVEPOINT" not in q["sql"]]) == 1
    assert set(Device.objects.values_list("refused_reports", flat=True)) == {1}


def test_lifting_the_blacklist_resets_the_count_and_keeps_the_time(model, tree):
    device = blacklisted_device(tree.fleet, model)
    for minutes in range(3):
        gate_check(device_numbers=[device.number], now=NOW + minutes * MINUTE)
    assert refusals(device) == (NOW + 2 * MINUTE, 3)

    device_clear_blacklist(
        actor=tree.platform_admin, device=device, now=NOW + 3 * MINUTE, reason="manual"
    )

    assert refusals(device) == (NOW + 2 * MINUTE, 0)


def test_a_top_up_lifting_the_blacklist_resets_the_count(model, tree):
    device = blacklisted_device(tree.fleet, model, service_until=NOW - DAY)
    license = bound_license(device=device, activated_at=NOW - 2 * DAY, available_days=0)
    gate_check(device_numbers=[device.number], now=NOW)

    license_top_up(actor=tree.platform_admin, license=license, days=10, now=NOW + MINUTE)

    device.refresh_from_db()
    assert not device.blacklisted
    assert (device.last_refused_at, device.refused_reports) == (NOW, 0)
    [result] = gate_check(device_numbers=[device.number], now=NOW + 2 * MINUTE)
    assert result.reason == "charged"
    assert refusals(device) == (NOW, 0)


@pytest.mark.postgres
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_gateways_record_a_refusal_once_per_minute():
    from tests.billing.test_concurrency import run_in_threads

    platform = factories.make_customer(name="Platform")
    owner = factories.make_customer(parent=platform, name="Fleet")
    model = factories.make_device_model()
    devices = [blacklisted_device(owner, model) for _ in range(50)]
    numbers = [d.number for d in devices]

    run_in_threads(8, lambda i: gate_check(device_numbers=numbers, now=NOW + i * SECOND))

    assert set(Device.objects.values_list("refused_reports", flat=True)) == {1}


@pytest.fixture
def written_behind(settings):
    settings.DAYPASS_REFUSALS_FLUSH_SECONDS = 3600


def test_written_behind_a_refusal_waits_for_the_flush(owner, model, written_behind):
    device = blacklisted_device(owner, model)

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result.reason == "blacklisted"
    assert refusals(device) == (None, 0)
    assert refusals_flush() == 1
    assert refusals(device) == (NOW, 1)
    assert refusals_flush() == 0


def test_written_behind_refusals_within_the_minute_are_buffered_once(owner, model, written_behind):
    device = blacklisted_device(owner, model)

    # Not yet in the database: the buffer is what stops the later refusals.
    for seconds in (0, 1, 30, 59):
        gate_check(device_numbers=[device.number] * 3, now=NOW + seconds * SECOND)

    assert refusals_flush() == 1
    assert refusals(device) == (NOW, 1)


def test_written_behind_the_gate_reads_what_was_flushed(owner, model, written_behind):
    device = blacklisted_device(owner, model)
    gate_check(device_numbers=[device.number], now=NOW)
    refusals_flush()

    gate_check(device_numbers=[device.number], now=NOW + 30 * SECOND)
    assert refusals_flush() == 0
    gate_check(device_numbers=[device.number], now=NOW + 60 * SECOND)
    assert refusals_flush() == 1

    assert refusals(device) == (NOW + 60 * SECOND, 2)


def test_a_write_checks_the_minute_whatever_the_buffer_holds(owner, model, written_behind):
    """Another process (gateway) recorded the device after this one read it: this process's
    buffered refusal, less than a minute later, is not written."""
    devices = [blacklisted_device(owner, model) for _ in range(3)]
    refusals_record(device_ids=[devices[0].pk], now=NOW)
    refusals_flush()  # the other process

    refusals_record(device_ids=[d.pk for d in devices], now=NOW + 59 * SECOND)

    assert refusals_flush() == 2  # not devices[0]
    assert [refusals(d) for d in devices] == [
        (NOW, 1),
        (NOW + 59 * SECOND, 1),
        (NOW + 59 * SECOND, 1),
    ]


def test_written_behind_each_device_keeps_the_instant_of_its_refusal(owner, model, written_behind):
    first, second = blacklisted_device(owner, model), blacklisted_device(owner, model)

    gate_check(device_numbers=[first.number], now=NOW)
    gate_check(device_numbers=[second.number, first.number], now=NOW + 20 * SECOND)
    refusals_flush()

    assert refusals(first) == (NOW, 1)
    assert refusals(second) == (NOW + 20 * SECOND, 1)


def test_lifting_the_blacklist_resets_the_count_written_behind(model, tree, written_behind):
    device = blacklisted_device(tree.fleet, model)
    for minutes in range(3):
        gate_check(device_numbers=[device.number], now=NOW + minutes * MINUTE)
        refusals_flush()

    device_clear_blacklist(
        actor=tree.platform_admin, device=device, now=NOW + 3 * MINUTE, reason="manual"
    )

    assert refusals(device) == (NOW + 2 * MINUTE, 0)


def test_a_refusal_buffered_before_a_lift_is_not_counted_after_it(model, tree, written_behind):
    device = blacklisted_device(tree.fleet, model)
    gate_check(device_numbers=[device.number], now=NOW)

    device_clear_blacklist(actor=tree.platform_admin, device=device, now=NOW + SECOND, reason="x")

    assert refusals_flush() == 0
    assert refusals(device) == (None, 0)


def test_a_refusal_is_recorded_only_while_the_device_is_blacklisted(owner, model):
    paid = factories.make_device(customer=owner, model=model, service_until=NOW + HOUR)
    since_later = blacklisted_device(owner, model, blacklisted_at=NOW + SECOND)

    refusals_record(device_ids=[paid.pk, since_later.pk], now=NOW)

    assert refusals(paid) == (None, 0)
    assert refusals(since_later) == (None, 0)


@pytest.mark.postgres
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_gateways_written_behind_record_a_refusal_once_per_minute(settings):
    """Gateways in one process share its buffer; the flushes of several processes (threads
    here, each writing its own buffer's worth at once) record a device once per minute."""
    from tests.billing.test_concurrency import run_in_threads

    settings.DAYPASS_REFUSALS_FLUSH_SECONDS = 3600
    platform = factories.make_customer(name="Platform")
    owner = factories.make_customer(parent=platform, name="Fleet")
    model = factories.make_device_model()
    devices = [blacklisted_device(owner, model) for _ in range(50)]
    numbers = [d.number for d in devices]

    run_in_threads(8, lambda i: gate_check(device_numbers=numbers, now=NOW + i * SECOND))
    assert refusals_flush() == 50
    run_in_threads(
        8,
        lambda i: refusals_module._write(dict.fromkeys([d.pk for d in devices], NOW + 59 * SECOND)),
    )

    assert set(Device.objects.values_list("refused_reports", flat=True)) == {1}


@pytest.mark.postgres
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_flusher_thread_writes_the_buffer_and_a_last_time_at_exit(settings):
    settings.DAYPASS_REFUSALS_FLUSH_SECONDS = 1
    platform = factories.make_customer(name="Platform")
    owner = factories.make_customer(parent=platform, name="Fleet")
    model = factories.make_device_model()
    device = blacklisted_device(owner, model)
    other = blacklisted_device(owner, model)

    gate_check(device_numbers=[device.number], now=NOW)
    deadline = time.monotonic() + 30
    while refusals(device) != (NOW, 1) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert refusals(device) == (NOW, 1)

    # At exit the flusher is stopped and writes what is left.
    settings.DAYPASS_REFUSALS_FLUSH_SECONDS = 3600
    refusals_module._flusher.stop()
    gate_check(device_numbers=[other.number], now=NOW)  # a new flusher, asleep for an hour
    assert refusals(other) == (None, 0)
    refusals_module._stop_at_exit()
    assert not refusals_module._flusher.is_alive()
    assert refusals(other) == (NOW, 1)
