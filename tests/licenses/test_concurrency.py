"""Races between license operations, with real threads on PostgreSQL.

Every thread starts from the same stale copy of the rows, as two browser tabs would; the
services lock rows (devices before licenses, by primary key) and re-check on the locked rows.
"""

import threading

import pytest
from django.db import connection, connections

from daypass.core.errors import DaypassError
from daypass.licenses.models import License, Transfer
from daypass.licenses.services import (
    license_bind,
    licenses_issue,
    licenses_return,
    licenses_sell,
)
from tests import factories

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so the race cannot happen there",
    ),
    pytest.mark.django_db(transaction=True),
]
NOW = factories.NOW


def race(*calls):
    """Run the calls at the same moment, one thread each; return each one's result or error."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = ("ok", call())
        except DaypassError as error:
            outcomes[index] = ("error", error.code)
        except Exception as error:  # a deadlock or an IntegrityError would land here
            outcomes[index] = ("crash", repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def successes(outcomes):
    assert not [o for o in outcomes if o[0] == "crash"], outcomes
    return sum(1 for kind, _ in outcomes if kind == "ok")


@pytest.fixture
def setup():
    tree = factories.make_tree()
    model = factories.make_device_model("MX-C6")
    license_type = factories.make_license_type(code="ADAS-365", models=[model])
    return tree, model, license_type


def test_concurrent_sales_of_the_same_license_one_succeeds(setup):
    tree, _model, license_type = setup
    second_child = factories.make_customer(parent=tree.dealer, name="Fleet 2")
    license = factories.make_license(customer=tree.dealer, type=license_type)
    targets = [tree.fleet, second_child] * 3

    outcomes = race(
        *[
            lambda to=to: licenses_sell(actor=tree.dealer_admin, licenses=[license], to=to, now=NOW)
            for to in targets
        ]
    )

    assert successes(outcomes) == 1
    assert Transfer.objects.filter(license=license).count() == 1
    owner = License.objects.get(pk=license.pk).customer
    assert owner in (tree.fleet, second_child)
    assert Transfer.objects.get().to_customer == owner


def test_concurrent_binds_of_the_same_license_to_two_devices_one_succeeds(setup):
    tree, model, license_type = setup
    devices = [factories.make_device(customer=tree.dealer, model=model) for _ in range(4)]
    license = factories.make_license(customer=tree.dealer, type=license_type)

    outcomes = race(
        *[
            lambda device=device: license_bind(
                actor=tree.dealer_admin, license=license, device=device, now=NOW
            )
            for device in devices
        ]
    )

    assert successes(outcomes) == 1
    assert sorted(code for kind, code in outcomes if kind == "error") == ["license_bound"] * 3
    assert License.objects.get(pk=license.pk).device in devices


def test_concurrent_binds_to_sub_customers_transfer_the_license_once(setup):
    tree, model, license_type = setup
    other_fleet = factories.make_customer(parent=tree.dealer, name="Fleet 2")
    devices = [
        factories.make_device(customer=tree.fleet, model=model),
        factories.make_device(customer=other_fleet, model=model),
    ]
    license = factories.make_license(customer=tree.dealer, type=license_type)

    outcomes = race(
        *[
            lambda device=device: license_bind(
                actor=tree.dealer_admin, license=license, device=device, now=NOW
            )
            for device in devices
        ]
    )

    assert successes(outcomes) == 1
    stored = License.objects.get(pk=license.pk)
    assert Transfer.objects.filter(license=license, method="bind").count() == 1
    assert stored.customer == stored.device.customer


def test_a_sale_racing_a_bind_of_one_of_its_licenses_is_all_or_nothing(setup):
    tree, model, license_type = setup
    device = factories.make_device(customer=tree.dealer, model=model)
    licenses = [factories.make_license(customer=tree.dealer, type=license_type) for _ in range(5)]

    outcomes = race(
        lambda: licenses_sell(actor=tree.dealer_admin, licenses=licenses, to=tree.fleet, now=NOW),
        lambda: license_bind(actor=tree.dealer_admin, license=licenses[2], device=device, now=NOW),
    )

    assert successes(outcomes) == 1
    owners = {lic.customer for lic in License.objects.filter(pk__in=[x.pk for x in licenses])}
    if outcomes[0][0] == "ok":
        # the sale won: everything moved, the bind saw a license it no longer owns
        assert owners == {tree.fleet}
        assert License.objects.filter(device=device).count() == 0
    else:
        # the bind won: the sale failed on the bound license and moved nothing
        assert outcomes[0] == ("error", "license_bound")
        assert owners == {tree.dealer}
        assert Transfer.objects.count() == 0


def test_overlapping_batches_in_opposite_orders_do_not_deadlock(setup):
    tree, _model, license_type = setup
    licenses = [factories.make_license(customer=tree.dealer, type=license_type) for _ in range(6)]
    tree.fleet.allow_superior_manage_licenses = True
    tree.fleet.save()

    outcomes = race(
        lambda: licenses_sell(actor=tree.dealer_admin, licenses=licenses, to=tree.fleet, now=NOW),
        lambda: licenses_sell(
            actor=tree.dealer_operator, licenses=licenses[::-1], to=tree.fleet, now=NOW
        ),
        lambda: licenses_return(actor=tree.dealer_admin, licenses=licenses[3:], now=NOW),
    )

    # no crash (a deadlock would be one); the transfers tell one consistent story
    assert successes(outcomes) >= 1
    for license in licenses:
        stored = License.objects.get(pk=license.pk)
        last = Transfer.objects.filter(license=license).order_by("-id").first()
        assert stored.customer == (last.to_customer if last else tree.dealer)


def test_concurrent_issues_never_share_a_card_number(setup):
    tree, _model, license_type = setup

    outcomes = race(
        *[
            lambda: licenses_issue(
                actor=tree.platform_admin, license_type=license_type, quantity=500, now=NOW
            )
            for _ in range(4)
        ]
    )

    assert successes(outcomes) == 4
    assert License.objects.count() == 2000
    assert License.objects.values("card").distinct().count() == 2000


def test_concurrent_binds_of_two_licenses_to_one_blacklisted_device_both_succeed(setup):
    from daypass.core.models import AuditEvent
    from daypass.devices.models import Device

    tree, model, license_type = setup
    device = factories.make_device(
        customer=tree.dealer, model=model, blacklisted=True, blacklisted_at=NOW
    )
    first, second = (factories.make_license(customer=tree.dealer, type=license_type) for _ in "ab")

    outcomes = race(
        *[
            lambda license=license: license_bind(
                actor=tree.dealer_admin, license=license, device=device, now=NOW
            )
            for license in (first, second)
        ]
    )

    # a device may carry several licenses; the blacklist is lifted exactly once
    assert successes(outcomes) == 2
    assert License.objects.filter(device=device).count() == 2
    assert Device.objects.get(pk=device.pk).blacklisted is False
    assert AuditEvent.objects.filter(action="device.blacklist_clear").count() == 1


def test_a_bind_racing_the_devices_transfer_leaves_the_license_with_the_devices_owner(setup):
    from daypass.devices.models import Device
    from daypass.devices.services import devices_transfer

    tree, model, license_type = setup
    other_fleet = factories.make_customer(parent=tree.dealer, name="Fleet 2")
    device = factories.make_device(customer=tree.fleet, model=model)
    license = factories.make_license(customer=tree.dealer, type=license_type)
    # When the bind wins, the transfer carries the fleet's own license: since issue 8 (SPEC 3)
    # that needs the fleet's consent, given here so that both orders must succeed.
    tree.fleet.allow_superior_manage_licenses = True
    tree.fleet.save(update_fields=["allow_superior_manage_licenses"])

    outcomes = race(
        lambda: license_bind(actor=tree.dealer_admin, license=license, device=device, now=NOW),
        lambda: devices_transfer(
            actor=tree.distributor_admin, devices=[device], to=other_fleet, now=NOW
        ),
    )

    assert successes(outcomes) == 2
    stored = License.objects.get(pk=license.pk)
    assert stored.device_id == device.pk
    assert stored.customer == Device.objects.get(pk=device.pk).customer == other_fleet
