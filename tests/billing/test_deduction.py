"""SPEC 4.3: one deduction, through `device_charge` (the path a report takes)."""

from datetime import timedelta

import pytest

from daypass.billing import deduction as deduction_module
from daypass.billing.deduction import device_charge
from daypass.billing.models import Deduction
from daypass.core.models import AuditEvent
from daypass.devices.models import Device
from daypass.licenses.models import License
from tests import factories
from tests.billing.conftest import DAY, HOUR, NOW, bound_license


@pytest.fixture
def device(owner, model):
    return factories.make_device(customer=owner, model=model)


def test_success_takes_charge_days_and_grants_period_of_the_type(device):
    license_type = factories.make_license_type(
        models=[device.model], days=100, charge_days=3, period_hours=72
    )
    license = bound_license(device=device, type=license_type, activated_at=NOW - DAY)

    deduction = device_charge(device=device, now=NOW, trigger="report")

    license.refresh_from_db()
    device.refresh_from_db()
    assert license.available_days == 97
    assert device.service_until == NOW + 72 * HOUR
    assert deduction.result == "success"
    assert deduction.license_id == license.pk
    assert deduction.days == 3
    assert deduction.available_days_after == 97
    assert deduction.window_start == NOW
    assert deduction.window_end == NOW + 72 * HOUR
    assert deduction.trigger == "report"
    assert deduction.at == NOW


def test_first_charge_activates_the_license(device):
    license = bound_license(device=device, activated_at=None)

    device_charge(device=device, now=NOW, trigger="report")

    license.refresh_from_db()
    assert license.activated_at == NOW


def test_later_charge_keeps_the_activation_time(device):
    license = bound_license(device=device, activated_at=NOW - 10 * DAY)

    device_charge(device=device, now=NOW, trigger="sweep")

    license.refresh_from_db()
    assert license.activated_at == NOW - 10 * DAY


def test_earliest_activated_license_pays_first(device):
    later = bound_license(device=device, activated_at=NOW - DAY, card="A0001")
    earlier = bound_license(device=device, activated_at=NOW - 5 * DAY, card="A0002")

    deduction = device_charge(device=device, now=NOW, trigger="report")

    assert deduction.license_id == earlier.pk
    later.refresh_from_db()
    assert later.available_days == later.total_days


def test_never_activated_license_pays_after_activated_ones(device):
    never = bound_license(device=device, activated_at=None, bound_at=NOW - 9 * DAY, card="A1")
    activated = bound_license(device=device, activated_at=NOW - DAY, card="A2")

    deduction = device_charge(device=device, now=NOW, trigger="report")

    assert deduction.license_id == activated.pk
    never.refresh_from_db()
    assert never.activated_at is None


def test_ties_on_activation_go_to_the_earlier_bound_then_lower_card(device):
    bound_later = bound_license(device=device, bound_at=NOW - DAY, card="B1")
    bound_earlier_high_card = bound_license(device=device, bound_at=NOW - 2 * DAY, card="B3")
    bound_earlier_low_card = bound_license(device=device, bound_at=NOW - 2 * DAY, card="B2")

    first = device_charge(device=device, now=NOW, trigger="report")

    assert first.license_id == bound_earlier_low_card.pk
    assert {bound_later.pk, bound_earlier_high_card.pk}.isdisjoint({first.license_id})


def test_license_with_fewer_days_than_charge_days_is_skipped(device):
    license_type = factories.make_license_type(models=[device.model], days=10, charge_days=2)
    short = bound_license(
        device=device, type=license_type, activated_at=NOW - 9 * DAY, available_days=1
    )
    enough = bound_license(device=device, type=license_type, activated_at=NOW - DAY)

    deduction = device_charge(device=device, now=NOW, trigger="report")

    assert deduction.license_id == enough.pk
    short.refresh_from_db()
    assert short.available_days == 1


def test_the_ledger_names_the_license_owner_at_the_time(device, owner):
    other_owner = factories.make_customer(parent=owner, name="Sub fleet")
    license = bound_license(device=device, customer=other_owner, activated_at=NOW - DAY)

    deduction = device_charge(device=device, now=NOW, trigger="report")

    assert deduction.customer_id == other_owner.pk
    assert deduction.license_id == license.pk


def test_unbound_licenses_of_the_owner_never_pay(device, owner, license_type):
    unbound = factories.make_license(customer=owner, type=license_type, activated_at=NOW - DAY)

    deduction = device_charge(device=device, now=NOW, trigger="report")

    assert deduction.result == "failed"
    unbound.refresh_from_db()
    assert unbound.available_days == unbound.total_days


def test_failure_blacklists_the_device_and_records_why(device, owner):
    bound_license(device=device, activated_at=NOW - 30 * DAY, available_days=0)

    deduction = device_charge(device=device, now=NOW, trigger="sweep")

    device.refresh_from_db()
    assert device.blacklisted is True
    assert device.blacklisted_at == NOW
    assert device.blacklist_reason == "no_valid_license"
    assert deduction.result == "failed"
    assert deduction.reason == "no_valid_license"
    assert deduction.license_id is None
    assert deduction.customer_id == owner.pk
    assert deduction.days == 0
    assert deduction.trigger == "sweep"
    event = AuditEvent.objects.get(action="device.blacklist")
    assert event.target == device.number
    assert event.acting_customer_id == owner.pk


def test_failure_keeps_the_service_until_already_paid(device):
    Device.objects.filter(pk=device.pk).update(service_until=NOW - HOUR)

    device_charge(device=device, now=NOW, trigger="report")

    device.refresh_from_db()
    assert device.service_until == NOW - HOUR


def test_no_charge_while_the_window_is_still_paid(device):
    license = bound_license(device=device, activated_at=NOW - DAY)
    Device.objects.filter(pk=device.pk).update(service_until=NOW + HOUR)

    assert device_charge(device=device, now=NOW, trigger="report") is None

    license.refresh_from_db()
    assert license.available_days == license.total_days
    assert device.service_until == NOW + HOUR  # refreshed from the locked row


def test_a_window_that_ends_exactly_now_is_due(device):
    bound_license(device=device, activated_at=NOW - DAY)
    Device.objects.filter(pk=device.pk).update(service_until=NOW)

    deduction = device_charge(device=device, now=NOW, trigger="report")

    assert deduction.result == "success"


def test_no_charge_for_a_blacklisted_device(device):
    license = bound_license(device=device, activated_at=NOW - DAY)
    Device.objects.filter(pk=device.pk).update(
        blacklisted=True, blacklisted_at=NOW - DAY, blacklist_reason="no_valid_license"
    )

    assert device_charge(device=device, now=NOW, trigger="report") is None

    license.refresh_from_db()
    assert license.available_days == license.total_days
    assert not Deduction.objects.exists()


def test_last_day_expires_the_license_and_the_next_charge_fails(device):
    license = bound_license(device=device, activated_at=NOW - DAY, available_days=1)

    first = device_charge(device=device, now=NOW, trigger="report")
    second = device_charge(device=device, now=NOW + DAY, trigger="report")

    license.refresh_from_db()
    assert first.result == "success"
    assert first.available_days_after == 0
    assert license.available_days == 0
    assert second.result == "failed"


def test_an_exception_after_the_license_update_leaves_nothing(device, monkeypatch):
    license = bound_license(device=device, activated_at=None)

    def crash(**kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(deduction_module, "_grant_service", crash)
    with pytest.raises(RuntimeError):
        device_charge(device=device, now=NOW, trigger="report")

    license.refresh_from_db()
    device.refresh_from_db()
    assert license.available_days == license.total_days
    assert license.activated_at is None
    assert device.service_until is None
    assert not Deduction.objects.exists()


def test_charges_in_consecutive_windows_add_up(device):
    license = bound_license(device=device, activated_at=NOW - DAY)

    for day in range(5):
        device_charge(device=device, now=NOW + timedelta(days=day), trigger="sweep")

    license.refresh_from_db()
    assert license.total_days - license.available_days == 5
    assert License.objects.get(pk=license.pk).available_days == license.total_days - 5
    assert Deduction.objects.filter(result="success").count() == 5
