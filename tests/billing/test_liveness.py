"""SPEC 14: the gate remembers refused reports (`last_refused_at`, `refused_reports`), at most
one write per device per minute, and lifting the blacklist resets the count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from daypass.billing.gate import gate_check
from daypass.devices.models import Device
from daypass.devices.services import device_clear_blacklist
from daypass.licenses.services import license_top_up
from tests import factories
from tests.billing.conftest import DAY, HOUR, NOW, bound_license, requires_postgresql

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


def blacklisted_device(owner, model, **fields):
    return factories.make_device(
        customer=owner, model=model, blacklisted=True, blacklisted_at=NOW - DAY, **fields
    )


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
