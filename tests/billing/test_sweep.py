"""SPEC 4.2: the sweep, through `sweep_run` and `daypass charge`."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from daypass.billing import sweep as sweep_module
from daypass.billing.models import Deduction
from daypass.billing.sweep import sweep_run
from daypass.core.models import AuditEvent
from daypass.devices.models import Device
from daypass.licenses.models import License
from tests import factories
from tests.billing.conftest import DAY, HOUR, NOW, bound_license


def make_device(owner, model, **fields):
    return factories.make_device(customer=owner, model=model, **fields)


def test_charges_a_due_device_with_an_activated_license(owner, model):
    device = make_device(owner, model, service_until=NOW - HOUR)
    license = bound_license(device=device, activated_at=NOW - 3 * DAY)

    result = sweep_run(now=NOW)

    assert (result.charged, result.failed) == (1, 0)
    device.refresh_from_db()
    license.refresh_from_db()
    assert device.service_until == NOW + 24 * HOUR
    assert license.available_days == license.total_days - 1
    deduction = Deduction.objects.get()
    assert (deduction.trigger, deduction.result) == ("sweep", "success")
    assert deduction.license_id == license.pk
    assert deduction.customer_id == license.customer_id
    assert deduction.available_days_after == license.available_days
    assert (deduction.window_start, deduction.window_end) == (NOW, NOW + 24 * HOUR)
    assert deduction.at == NOW


def test_device_with_an_empty_service_until_is_due(owner, model):
    device = make_device(owner, model)
    bound_license(device=device, activated_at=NOW - DAY)

    assert sweep_run(now=NOW).charged == 1


def test_window_ending_exactly_now_is_due(owner, model):
    device = make_device(owner, model, service_until=NOW)
    bound_license(device=device, activated_at=NOW - DAY)

    assert sweep_run(now=NOW).charged == 1


def test_paid_device_is_not_charged(owner, model):
    device = make_device(owner, model, service_until=NOW + HOUR)
    bound_license(device=device, activated_at=NOW - DAY)

    assert sweep_run(now=NOW).devices == 0
    assert not Deduction.objects.exists()


def test_blacklisted_device_is_not_charged(owner, model):
    device = make_device(owner, model, blacklisted=True, blacklisted_at=NOW - DAY)
    bound_license(device=device, activated_at=NOW - DAY)

    assert sweep_run(now=NOW).devices == 0


def test_warehouse_bound_never_activated_license_is_left_alone(owner, model):
    device = make_device(owner, model)
    license = bound_license(device=device, activated_at=None)

    result = sweep_run(now=NOW)

    assert result.devices == 0
    license.refresh_from_db()
    assert license.activated_at is None
    assert license.available_days == license.total_days
    device.refresh_from_db()
    assert not device.blacklisted


def test_unbound_activated_license_is_never_charged(owner, model, license_type):
    make_device(owner, model)
    deactivated = factories.make_license(customer=owner, type=license_type, activated_at=NOW - DAY)

    assert sweep_run(now=NOW).devices == 0
    deactivated.refresh_from_db()
    assert deactivated.available_days == deactivated.total_days


def test_priority_order_is_the_same_as_for_a_report(owner, model):
    device = make_device(owner, model)
    inactive = bound_license(device=device, activated_at=None, bound_at=NOW - 9 * DAY)
    later = bound_license(device=device, activated_at=NOW - DAY)
    earliest = bound_license(device=device, activated_at=NOW - 2 * DAY, bound_at=NOW - DAY)
    tie_low_card = bound_license(
        device=device, activated_at=NOW - 2 * DAY, bound_at=NOW - DAY, card="A0"
    )

    sweep_run(now=NOW)

    assert Deduction.objects.get().license_id == tie_low_card.pk
    for untouched in (inactive, later, earliest):
        untouched.refresh_from_db()
        assert untouched.available_days == untouched.total_days


def test_exhausted_activated_license_falls_back_to_an_inactive_one(owner, model):
    device = make_device(owner, model)
    bound_license(device=device, activated_at=NOW - 9 * DAY, available_days=0)
    inactive = bound_license(device=device, activated_at=None)

    assert sweep_run(now=NOW).charged == 1

    inactive.refresh_from_db()
    assert inactive.activated_at == NOW
    assert inactive.available_days == inactive.total_days - 1


def test_charge_days_and_period_hours_come_from_the_type(owner, model):
    license_type = factories.make_license_type(
        models=[model], days=30, charge_days=5, period_hours=120
    )
    device = make_device(owner, model)
    license = bound_license(device=device, type=license_type, activated_at=NOW - DAY)

    sweep_run(now=NOW)

    license.refresh_from_db()
    device.refresh_from_db()
    assert license.available_days == 25
    assert device.service_until == NOW + 120 * HOUR
    assert Deduction.objects.get().days == 5


def test_device_whose_licenses_are_exhausted_is_blacklisted(owner, model):
    device = make_device(owner, model, service_until=NOW - HOUR)
    license_type = factories.make_license_type(models=[model], days=10, charge_days=2)
    bound_license(device=device, type=license_type, activated_at=NOW - DAY, available_days=1)

    result = sweep_run(now=NOW)

    assert (result.charged, result.failed) == (0, 1)
    device.refresh_from_db()
    assert device.blacklisted
    assert device.blacklisted_at == NOW
    assert device.blacklist_reason == "no_valid_license"
    assert device.service_until == NOW - HOUR
    failed = Deduction.objects.get()
    assert (failed.result, failed.reason, failed.trigger) == ("failed", "no_valid_license", "sweep")
    assert failed.customer_id == owner.pk
    assert failed.license_id is None
    event = AuditEvent.objects.get(action="device.blacklist")
    assert (event.target, event.acting_customer_id) == (device.number, owner.pk)
    assert event.details == {"reason": "no_valid_license"}


def test_a_second_sweep_at_the_same_instant_charges_nothing(owner, model):
    device = make_device(owner, model)
    bound_license(device=device, activated_at=NOW - DAY)

    sweep_run(now=NOW)
    second = sweep_run(now=NOW)

    assert second.devices == 0
    assert Deduction.objects.count() == 1


def test_a_sweep_a_period_later_charges_again(owner, model):
    device = make_device(owner, model)
    license = bound_license(device=device, activated_at=NOW - DAY)

    sweep_run(now=NOW)
    sweep_run(now=NOW + 24 * HOUR)

    license.refresh_from_db()
    assert license.total_days - license.available_days == 2


def test_many_devices_in_small_chunks_are_each_charged_once(owner, model):
    license_type = factories.make_license_type(models=[model])
    devices = [make_device(owner, model) for _ in range(23)]
    for device in devices:
        bound_license(device=device, type=license_type, activated_at=NOW - DAY)
    unlicensed = [make_device(owner, model) for _ in range(3)]
    for device in unlicensed:
        bound_license(device=device, type=license_type, activated_at=NOW - DAY, available_days=0)
    seen = []

    result = sweep_run(now=NOW, chunk_size=5, progress=lambda r: seen.append(r.devices))

    assert (result.charged, result.failed, result.chunks) == (23, 3, 6)
    assert seen == [5, 10, 15, 20, 25, 26]
    assert Deduction.objects.filter(result="success").count() == 23
    assert set(Deduction.objects.filter(result="success").values_list("device_id", flat=True)) == {
        d.pk for d in devices
    }
    assert Device.objects.filter(blacklisted=True).count() == 3
    assert License.objects.filter(available_days=license_type.days - 1).count() == 23


def test_charge_command_prints_progress_and_totals(owner, model):
    device = make_device(owner, model)
    bound_license(device=device, activated_at=NOW - DAY)
    out = StringIO()

    call_command("charge", stdout=out)

    text = out.getvalue()
    assert "chunk 1: 1 charged, 0 blacklisted" in text
    assert "Done: 1 charged, 0 blacklisted" in text
    assert Deduction.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failure_inside_a_chunk_rolls_that_chunk_back_whole(monkeypatch):
    platform = factories.make_customer(name="Platform")
    owner = factories.make_customer(parent=platform, name="Fleet")
    model = factories.make_device_model()
    devices = [factories.make_device(customer=owner, model=model) for _ in range(10)]
    for device in devices:
        bound_license(device=device, activated_at=NOW - DAY)
    chunks = []

    def crash_after_the_second_chunk(real):
        def charge(**kwargs):
            result = real(**kwargs)
            chunks.append(kwargs["device_ids"])
            if len(chunks) == 2:
                raise RuntimeError("injected after the chunk's writes")
            return result

        return charge

    for name in ("_charge_chunk_postgresql", "_charge_chunk_sqlite"):
        monkeypatch.setattr(
            sweep_module, name, crash_after_the_second_chunk(getattr(sweep_module, name))
        )
    with pytest.raises(RuntimeError):
        sweep_run(now=NOW, chunk_size=4)
    monkeypatch.undo()

    assert set(Deduction.objects.values_list("device_id", flat=True)) == set(chunks[0])
    assert Device.objects.filter(service_until__isnull=False).count() == 4
    assert License.objects.filter(available_days=F("total_days") - 1).count() == 4
    assert sweep_run(now=NOW).charged == 6
    assert Deduction.objects.filter(result="success").count() == 10


def test_a_stop_request_ends_the_sweep_between_chunks(owner, model):
    for _ in range(6):
        bound_license(device=make_device(owner, model), activated_at=NOW - DAY)
    stop = threading.Event()

    result = sweep_run(now=NOW, chunk_size=2, progress=lambda r: stop.set(), stop_event=stop)

    assert (result.charged, result.chunks, result.stopped) == (2, 1, True)
    assert sweep_run(now=NOW).charged == 4
