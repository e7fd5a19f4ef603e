"""Events of the services (SPEC 12.1): blacklist and restore, licenses received, settings
changed; each in its cause's transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from daypass.billing.gate import gate_check
from daypass.billing.models import Deduction
from daypass.customers.services import customer_settings_update
from daypass.devices.services import device_clear_blacklist, devices_transfer
from daypass.events.snapshots import customer_snapshot, device_snapshot
from daypass.licenses.services import (
    license_bind,
    license_top_up,
    licenses_issue,
    licenses_return,
    licenses_sell,
)
from daypass.licenses.services import transfers as license_services
from tests import factories
from tests.events.conftest import events, stored

NOW = factories.NOW
DAY = timedelta(days=1)


@pytest.fixture
def model(db):
    return factories.make_device_model()


@pytest.fixture
def license_type(model):
    return factories.make_license_type(models=[model])


@pytest.fixture
def blacklisted(tree, model, license_type):
    """A fleet device whose only license ran out; its report blacklisted it."""
    device = factories.make_device(customer=tree.fleet, model=model)
    factories.make_license(
        customer=tree.fleet,
        type=license_type,
        device=device,
        bound_at=NOW - 30 * DAY,
        activated_at=NOW - 30 * DAY,
        total_days=30,
        available_days=0,
    )
    [result] = gate_check(device_numbers=[device.number], now=NOW)
    assert result.reason == "no_valid_license"
    device.refresh_from_db()
    return device


def received():
    return [
        (e.customer_id, e.data["method"], e.data["from"], e.data["count"], e.data["cards"])
        for e in events("licenses.received")
    ]


# --- device.blacklisted / device.restored -----------------------------------------------


def test_a_failed_charge_emits_device_blacklisted_to_the_owner(tree, blacklisted):
    [event] = events()
    assert (event.type, event.customer_id, event.at) == ("device.blacklisted", tree.fleet.pk, NOW)
    # The snapshot is the device as the failed charge left it; the gate records the refusal of
    # that report afterwards (SPEC 14 liveness).
    now_shown = stored(device_snapshot(blacklisted))
    assert now_shown["refused_reports"] == 1
    assert event.data == {
        "device": {**now_shown, "refused_reports": 0, "last_refused_at": None},
        "reason": "no_valid_license",
    }
    assert event.data["device"]["blacklisted"] is True


def test_binding_a_license_restores_the_device_with_cause_bind(tree, blacklisted, license_type):
    fresh = factories.make_license(customer=tree.fleet, type=license_type)

    license_bind(actor=tree.fleet_admin, license=fresh, device=blacklisted, now=NOW + DAY)

    [event] = events("device.restored")
    assert (event.customer_id, event.at, event.data["cause"]) == (tree.fleet.pk, NOW + DAY, "bind")
    assert event.data["device"]["blacklisted"] is False
    assert fresh.card in event.data["device"]["licenses"]
    blacklisted.refresh_from_db()
    assert event.data["device"] == stored(device_snapshot(blacklisted))


def test_a_top_up_restores_the_device_with_cause_top_up(tree, blacklisted):
    license_top_up(
        actor=tree.platform_admin, license=blacklisted.licenses.get(), days=30, now=NOW + DAY
    )
    [event] = events("device.restored")
    assert (event.customer_id, event.data["cause"]) == (tree.fleet.pk, "top_up")


def test_clearing_by_hand_restores_the_device_with_cause_manual(tree, blacklisted):
    device_clear_blacklist(actor=tree.platform_admin, device=blacklisted, now=NOW, reason="paid")
    [event] = events("device.restored")
    assert (event.customer_id, event.data["cause"]) == (tree.fleet.pk, "manual")


def test_a_hand_clear_typed_like_an_automatic_reason_is_still_manual(tree, blacklisted):
    device_clear_blacklist(
        actor=tree.platform_admin, device=blacklisted, now=NOW, reason="license_bind", by_hand=True
    )
    [event] = events("device.restored")
    assert event.data["cause"] == "manual"


def test_clearing_a_device_that_is_not_blacklisted_emits_nothing(tree, model):
    device = factories.make_device(customer=tree.fleet, model=model)
    device_clear_blacklist(actor=tree.platform_admin, device=device, now=NOW, reason="paid")
    assert events() == []


# --- licenses.received ---------------------------------------------------------------------


def test_a_sale_emits_licenses_received_to_the_child(tree, license_type):
    licenses = [factories.make_license(customer=tree.distributor, type=license_type) for _ in "abc"]

    result = licenses_sell(actor=tree.distributor_admin, licenses=licenses, to=tree.dealer, now=NOW)

    [event] = events("licenses.received")
    assert (event.customer_id, event.at) == (tree.dealer.pk, NOW)
    assert event.data == {
        "batch": str(result.batch),
        "method": "sell",
        "from": tree.distributor.number,
        "count": 3,
        "cards": sorted(lic.card for lic in licenses),
    }


def test_a_return_emits_licenses_received_to_the_parent(tree, license_type):
    license = factories.make_license(customer=tree.fleet, type=license_type)
    result = licenses_return(actor=tree.fleet_admin, licenses=[license], now=NOW)
    assert received() == [(tree.dealer.pk, "return", tree.fleet.number, 1, [license.card])]
    assert events("licenses.received")[0].data["batch"] == str(result.batch)


def test_binding_to_a_sub_customers_device_emits_licenses_received(tree, model, license_type):
    device = factories.make_device(customer=tree.fleet, model=model)
    license = factories.make_license(customer=tree.dealer, type=license_type)

    license_bind(actor=tree.dealer_admin, license=license, device=device, now=NOW)

    assert received() == [(tree.fleet.pk, "bind", tree.dealer.number, 1, [license.card])]


def test_binding_to_an_own_device_emits_nothing(tree, model, license_type):
    device = factories.make_device(customer=tree.fleet, model=model)
    license = factories.make_license(customer=tree.fleet, type=license_type)
    license_bind(actor=tree.fleet_admin, license=license, device=device, now=NOW)
    assert events() == []


def test_a_device_transfer_emits_licenses_received_per_previous_owner(tree, model, license_type):
    # given a dealer device and a fleet device, each with a bound license of its owner
    devices = []
    for owner in (tree.dealer, tree.fleet):
        device = factories.make_device(customer=owner, model=model)
        factories.make_license(customer=owner, type=license_type, device=device, bound_at=NOW - DAY)
        devices.append(device)
    tree.dealer.allow_superior_manage_licenses = True
    tree.fleet.allow_superior_manage_licenses = True
    tree.dealer.save()
    tree.fleet.save()

    # when the distributor takes both devices
    result = devices_transfer(
        actor=tree.distributor_admin, devices=devices, to=tree.distributor, now=NOW
    )

    # then one event per previous owner, to the new owner
    cards = {d.number: d.licenses.get().card for d in devices}
    assert sorted(received()) == sorted(
        [
            (tree.distributor.pk, "device", tree.dealer.number, 1, [cards[devices[0].number]]),
            (tree.distributor.pk, "device", tree.fleet.number, 1, [cards[devices[1].number]]),
        ]
    )
    assert {e.data["batch"] for e in events("licenses.received")} == {str(result.batch)}


def test_issuing_to_a_named_customer_emits_licenses_received_from_the_platform(tree, license_type):
    licenses = licenses_issue(
        actor=tree.platform_admin,
        license_type=license_type,
        quantity=1_001,
        customer=tree.dealer,
        now=NOW,
    )

    [event] = events("licenses.received")
    assert event.customer_id == tree.dealer.pk
    assert (event.data["method"], event.data["from"], event.data["count"]) == (
        "sell",
        tree.platform.number,
        1_001,
    )
    assert event.data["cards"] == sorted(lic.card for lic in licenses)[:1_000]


def test_issuing_to_the_platform_emits_nothing(tree, license_type):
    licenses_issue(actor=tree.platform_admin, license_type=license_type, quantity=3, now=NOW)
    assert events() == []


# --- customer.settings_changed ------------------------------------------------------------


def test_changing_a_switch_emits_settings_changed_to_that_customer(tree):
    customer = customer_settings_update(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        allow_superior_manage_licenses=True,
        allow_auto_renew=False,
        now=NOW,
    )

    [event] = events()
    assert (event.type, event.customer_id) == ("customer.settings_changed", tree.dealer.pk)
    assert event.data == {
        "customer": stored(customer_snapshot(customer)),
        "changed_by": tree.dealer_admin.username,
        "changed": ["allow_superior_manage_licenses"],
    }
    assert event.data["customer"]["allow_superior_manage_licenses"] is True


def test_changing_both_switches_names_both(tree):
    customer_settings_update(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        allow_superior_manage_licenses=True,
        allow_auto_renew=True,
        now=NOW,
    )
    [event] = events()
    assert sorted(event.data["changed"]) == ["allow_auto_renew", "allow_superior_manage_licenses"]


def test_a_settings_update_that_changes_nothing_emits_nothing(tree):
    customer_settings_update(
        actor=tree.dealer_admin, customer=tree.dealer, allow_auto_renew=False, now=NOW
    )
    assert events() == []


# --- rolled back causes ---------------------------------------------------------------------


def test_a_rolled_back_sale_emits_nothing(tree, license_type, monkeypatch):
    license = factories.make_license(customer=tree.distributor, type=license_type)

    def fail(**kwargs):
        raise RuntimeError("injected after the transfers")

    monkeypatch.setattr(license_services, "audit_record", fail)
    with pytest.raises(RuntimeError):
        licenses_sell(actor=tree.distributor_admin, licenses=[license], to=tree.dealer, now=NOW)

    assert events() == []


def test_a_rolled_back_charge_emits_nothing(tree, model, license_type, monkeypatch):
    device = factories.make_device(customer=tree.fleet, model=model)
    factories.make_license(
        customer=tree.fleet,
        type=license_type,
        device=device,
        bound_at=NOW - DAY,
        activated_at=NOW - DAY,
        available_days=30,
    )

    def fail(**kwargs):
        raise RuntimeError("injected after the license update")

    monkeypatch.setattr(Deduction.objects, "create", fail)
    with pytest.raises(RuntimeError):
        gate_check(device_numbers=[device.number], now=NOW)

    assert events() == []
