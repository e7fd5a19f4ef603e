"""SPEC 4.5: a blacklisted device leaves the blacklist on bind, on top-up, or by hand, and the
next report charges it as usual."""

import pytest

from daypass.billing.gate import gate_check
from daypass.billing.models import Deduction
from daypass.core.models import AuditEvent
from daypass.devices.services import device_clear_blacklist
from daypass.licenses.services import license_bind, license_top_up
from tests import factories
from tests.billing.conftest import DAY, HOUR, NOW, bound_license


@pytest.fixture
def model(db):
    return factories.make_device_model()


@pytest.fixture
def blacklisted_device(tree, model):
    """A fleet device whose only license ran out: the report blacklists it."""
    device = factories.make_device(customer=tree.fleet, model=model)
    bound_license(device=device, activated_at=NOW - 30 * DAY, available_days=0, total_days=30)
    [result] = gate_check(device_numbers=[device.number], now=NOW)
    assert result.reason == "no_valid_license"
    device.refresh_from_db()
    assert device.blacklisted
    return device


def report(device, at):
    [result] = gate_check(device_numbers=[device.number], now=at)
    return result


def test_binding_a_license_with_days_lifts_the_blacklist(tree, model, blacklisted_device):
    license_type = factories.make_license_type(models=[model])
    fresh = factories.make_license(customer=tree.fleet, type=license_type)

    license_bind(actor=tree.fleet_admin, license=fresh, device=blacklisted_device, now=NOW + HOUR)

    blacklisted_device.refresh_from_db()
    assert not blacklisted_device.blacklisted
    assert AuditEvent.objects.filter(
        action="device.blacklist_clear", target=blacklisted_device.number
    ).exists()
    result = report(blacklisted_device, NOW + DAY)
    assert (result.allowed, result.reason) == (True, "charged")
    assert Deduction.objects.filter(license=fresh, result="success").count() == 1


def test_binding_a_license_with_too_few_days_keeps_the_blacklist(tree, model, blacklisted_device):
    license_type = factories.make_license_type(models=[model], days=10, charge_days=3)
    short = factories.make_license(customer=tree.fleet, type=license_type, available_days=2)

    license_bind(actor=tree.fleet_admin, license=short, device=blacklisted_device, now=NOW + HOUR)

    blacklisted_device.refresh_from_db()
    assert blacklisted_device.blacklisted
    assert report(blacklisted_device, NOW + DAY).reason == "blacklisted"


def test_topping_up_a_bound_license_lifts_the_blacklist(tree, blacklisted_device):
    exhausted = blacklisted_device.licenses.get()

    license_top_up(actor=tree.platform_admin, license=exhausted, days=30, now=NOW + HOUR)

    blacklisted_device.refresh_from_db()
    assert not blacklisted_device.blacklisted
    result = report(blacklisted_device, NOW + DAY)
    assert (result.allowed, result.reason) == (True, "charged")
    exhausted.refresh_from_db()
    assert exhausted.available_days == 29


def test_platform_admin_clears_it_by_hand(tree, model, blacklisted_device):
    license_type = factories.make_license_type(models=[model])
    bound_license(device=blacklisted_device, type=license_type)  # bound without the service

    device_clear_blacklist(
        actor=tree.platform_admin, device=blacklisted_device, now=NOW + HOUR, reason="by hand"
    )

    blacklisted_device.refresh_from_db()
    assert not blacklisted_device.blacklisted
    assert report(blacklisted_device, NOW + DAY).reason == "charged"


def test_cleared_by_hand_without_a_license_the_next_report_blacklists_again(
    tree, blacklisted_device
):
    device_clear_blacklist(
        actor=tree.platform_admin, device=blacklisted_device, now=NOW + HOUR, reason="by hand"
    )

    result = report(blacklisted_device, NOW + DAY)

    assert (result.allowed, result.reason) == (False, "no_valid_license")
    assert Deduction.objects.filter(result="failed").count() == 2
