"""SPEC 4.1: the report gate, through `gate_check`."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from daypass.billing.gate import GateResult, gate_check
from daypass.billing.models import Deduction
from daypass.devices.models import Device
from tests import factories
from tests.billing.conftest import DAY, HOUR, NOW, bound_license


def make_device(owner, model, **fields):
    return factories.make_device(customer=owner, model=model, **fields)


def test_paid_device_is_allowed_without_a_charge(owner, model):
    device = make_device(owner, model, service_until=NOW + HOUR)
    bound_license(device=device, activated_at=NOW - DAY)

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result == GateResult(device.number, True, "paid", NOW + HOUR)
    assert not Deduction.objects.exists()


def test_due_device_is_charged_and_allowed_until_the_new_window_ends(owner, model):
    device = make_device(owner, model, service_until=NOW - HOUR)
    bound_license(device=device, activated_at=NOW - DAY)

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result == GateResult(device.number, True, "charged", NOW + 24 * HOUR)
    deduction = Deduction.objects.get()
    assert deduction.trigger == "report"
    assert deduction.result == "success"


def test_unknown_device_is_refused(db):
    [result] = gate_check(device_numbers=["nope"], now=NOW)

    assert result == GateResult("nope", False, "unknown_device", None)


def test_blacklisted_device_is_refused_without_an_attempt(owner, model):
    device = make_device(
        owner, model, blacklisted=True, blacklisted_at=NOW - DAY, service_until=NOW - DAY
    )
    bound_license(device=device, activated_at=NOW - DAY)

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result == GateResult(device.number, False, "blacklisted", NOW - DAY)
    assert not Deduction.objects.exists()


def test_device_without_valid_license_is_refused_and_blacklisted(owner, model):
    device = make_device(owner, model)

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result == GateResult(device.number, False, "no_valid_license", None)
    device.refresh_from_db()
    assert device.blacklisted
    assert Deduction.objects.get().result == "failed"


def test_warehouse_bound_license_is_activated_by_the_first_report(owner, model):
    device = make_device(owner, model)
    license = bound_license(device=device, activated_at=None)

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result.reason == "charged"
    license.refresh_from_db()
    assert license.activated_at == NOW


def test_answers_come_in_request_order(owner, model):
    paid = make_device(owner, model, service_until=NOW + HOUR)
    due = make_device(owner, model)
    bound_license(device=due, activated_at=NOW - DAY)
    unlicensed = make_device(owner, model)

    results = gate_check(
        device_numbers=["ghost", unlicensed.number, paid.number, due.number], now=NOW
    )

    assert [(r.device, r.reason) for r in results] == [
        ("ghost", "unknown_device"),
        (unlicensed.number, "no_valid_license"),
        (paid.number, "paid"),
        (due.number, "charged"),
    ]


def test_same_device_twice_in_a_batch_is_charged_once(owner, model):
    device = make_device(owner, model)
    license = bound_license(device=device, activated_at=NOW - DAY)

    results = gate_check(device_numbers=[device.number, device.number, device.number], now=NOW)

    assert [r.reason for r in results] == ["charged", "paid", "paid"]
    assert all(r.allowed and r.service_until == NOW + 24 * HOUR for r in results)
    assert Deduction.objects.count() == 1
    license.refresh_from_db()
    assert license.total_days - license.available_days == 1


def test_same_unlicensed_device_twice_fails_once_then_is_blacklisted(owner, model):
    device = make_device(owner, model)

    results = gate_check(device_numbers=[device.number, device.number], now=NOW)

    assert [r.reason for r in results] == ["no_valid_license", "blacklisted"]
    assert Deduction.objects.count() == 1


def test_a_batch_of_a_thousand_paid_devices_costs_one_query(owner, model):
    numbers = [f"Q{index:08d}" for index in range(999)]
    Device.objects.bulk_create(
        Device(
            number=number, model=model, customer=owner, service_until=NOW + HOUR, registered_at=NOW
        )
        for number in numbers
    )

    with CaptureQueriesContext(connection) as queries:
        results = gate_check(device_numbers=numbers + ["ghost"], now=NOW)

    assert len(queries) == 1
    assert [r.reason for r in results] == ["paid"] * 999 + ["unknown_device"]
    assert all(r.service_until == NOW + HOUR for r in results[:999])


def test_queries_grow_with_the_charges_made_not_with_the_batch(owner, model):
    paid = [make_device(owner, model, service_until=NOW + HOUR) for _ in range(30)]
    due = make_device(owner, model)
    bound_license(device=due, activated_at=NOW - DAY)

    with CaptureQueriesContext(connection) as small:
        gate_check(device_numbers=[paid[0].number], now=NOW)
    Device.objects.filter(pk=due.pk).update(service_until=None)
    with CaptureQueriesContext(connection) as one_charge:
        gate_check(device_numbers=[d.number for d in paid] + [due.number], now=NOW)

    charge_queries = len(one_charge) - len(small)
    assert 0 < charge_queries <= 8


@pytest.mark.parametrize("when", [NOW - HOUR, NOW])
def test_the_charge_grants_a_window_from_the_report_instant(owner, model, when):
    device = make_device(owner, model, service_until=when)
    bound_license(device=device, activated_at=NOW - DAY)

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result.service_until == NOW + 24 * HOUR


def test_service_until_comes_back_to_the_microsecond(owner, model):
    odd_instant = NOW + timedelta(days=3650, microseconds=987_651)
    device = make_device(owner, model, service_until=odd_instant)

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result.service_until == odd_instant
    assert result.service_until.utcoffset() == timedelta(0)


def test_window_ending_at_the_very_microsecond_of_the_report_is_due(owner, model):
    instant = NOW + timedelta(microseconds=999_999)
    device = make_device(owner, model, service_until=instant)
    bound_license(device=device, activated_at=NOW - DAY)

    [result] = gate_check(device_numbers=[device.number], now=instant)

    assert result.reason == "charged"
