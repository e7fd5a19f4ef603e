"""Sales records keep their references without database foreign keys (issue 12).

`licenses.bulk.move_licenses` writes each transfer from the license row it records, in the same
statement; the transfers table has no foreign-key constraints of its own (their deferred checks
cost a third of a 100,000-license sell on PostgreSQL). These tests hold every path that writes
transfers to that: each row names the license, its type, the owner before and after, the
account, and all of them exist.
"""

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from daypass.core.errors import DaypassError
from daypass.customers.models import Account, Customer
from daypass.devices.services import devices_transfer
from daypass.licenses import bulk
from daypass.licenses.models import License, LicenseType, Transfer
from daypass.licenses.services import (
    license_bind,
    licenses_issue,
    licenses_return,
    licenses_sell,
)
from tests import factories


def assert_every_reference_exists() -> None:
    for transfer in Transfer.objects.all():
        license = License.objects.get(pk=transfer.license_id)
        assert LicenseType.objects.filter(pk=transfer.type_id).exists()
        assert license.type_id == transfer.type_id
        assert Customer.objects.filter(pk=transfer.to_customer_id).exists()
        assert Customer.objects.filter(pk=transfer.from_customer_id).exists()
        assert Account.objects.filter(pk=transfer.account_id).exists()


def history(license: License) -> list[tuple[str, str, str]]:
    return [
        (t.from_customer.name, t.to_customer.name, t.method)
        for t in Transfer.objects.filter(license=license).order_by("id")
    ]


@pytest.mark.django_db
def test_every_path_records_the_license_its_type_and_both_owners(
    tree, license_type, dealer_device, fleet_device, now
):
    issued = licenses_issue(
        actor=tree.platform_admin,
        license_type=license_type,
        quantity=3,
        customer=tree.distributor,
        now=now,
    )
    first, second, third = issued
    licenses_sell(actor=tree.distributor_admin, licenses=[first, second], to=tree.dealer, now=now)
    licenses_return(actor=tree.dealer_admin, licenses=[second], now=now)
    license_bind(actor=tree.dealer_admin, license=first, device=fleet_device, now=now)
    tree.fleet.allow_superior_manage_licenses = True  # the dealer takes the device back
    tree.fleet.save()
    devices_transfer(actor=tree.dealer_admin, devices=[fleet_device], to=tree.dealer, now=now)

    assert history(first) == [
        ("Platform", "Distributor", "sell"),
        ("Distributor", "Dealer", "sell"),
        ("Dealer", "Fleet", "bind"),
        ("Fleet", "Dealer", "device"),
    ]
    assert history(second) == [
        ("Platform", "Distributor", "sell"),
        ("Distributor", "Dealer", "sell"),
        ("Dealer", "Distributor", "return"),
    ]
    assert history(third) == [("Platform", "Distributor", "sell")]
    for license in issued:
        last = Transfer.objects.filter(license=license).order_by("id").last()
        assert License.objects.get(pk=license.pk).customer_id == last.to_customer_id
    assert_every_reference_exists()


@pytest.mark.django_db
def test_a_return_from_several_owners_records_each_owner_and_its_parent(tree, license_type, now):
    mine = factories.make_license(customer=tree.distributor, type=license_type)
    dealers = factories.make_license(customer=tree.dealer, type=license_type)
    tree.dealer.allow_superior_manage_licenses = True
    tree.dealer.save()

    licenses_return(actor=tree.distributor_admin, licenses=[mine, dealers], now=now)

    assert history(mine) == [("Distributor", "Platform", "return")]
    assert history(dealers) == [("Dealer", "Distributor", "return")]
    assert_every_reference_exists()


@pytest.mark.django_db
def test_not_a_child_names_the_first_card_in_card_order(tree, license_type, now, unchanged):
    # Decided once per owner now: the error still names the owner's first license by card.
    licenses = [
        factories.make_license(customer=tree.distributor, type=license_type, card=card)
        for card in ("C3", "C2", "C4")
    ]

    with unchanged(), pytest.raises(DaypassError) as error:
        licenses_sell(actor=tree.distributor_admin, licenses=licenses, to=tree.fleet, now=now)

    assert error.value.code == "not_a_child"
    assert error.value.message.endswith("the owner of C2.")


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_does_not_exist_is_refused_at_commit_and_records_nothing(
    tree, license_type, now
):
    # The receiver of a transfer is the license's new owner: the license's own foreign key
    # refuses one that does not exist, and the transfer goes with the rolled-back statement.
    license = factories.make_license(customer=tree.distributor, type=license_type)
    ghost = Customer(pk=10**9, name="Ghost", number="C-GHOST", parent=tree.distributor)

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.move_licenses(
            licenses=[(license.pk, license.card, tree.distributor.pk)],
            to=ghost,
            method="sell",
            batch=uuid.uuid4(),
            actor=tree.distributor_admin,
            now=now,
        )

    assert Transfer.objects.count() == 0
    assert License.objects.get(pk=license.pk).customer_id == tree.distributor.pk


@pytest.mark.django_db
def test_a_license_that_is_not_there_is_never_recorded(tree, license_type, now):
    license = factories.make_license(customer=tree.distributor, type=license_type)

    with pytest.raises(RuntimeError, match="moved 1 of 2"), transaction.atomic():
        bulk.move_licenses(
            licenses=[(license.pk, license.card, tree.distributor.pk), (10**9, "X", 1)],
            to=tree.dealer,
            method="sell",
            batch=uuid.uuid4(),
            actor=tree.distributor_admin,
            now=now,
        )

    assert Transfer.objects.count() == 0


@pytest.mark.django_db
def test_a_customer_named_only_in_sales_records_is_protected_by_the_orm(tree, license_type, now):
    shop = factories.make_customer(parent=tree.distributor, name="Shop")
    shop.allow_superior_manage_licenses = True
    shop.save()
    license = factories.make_license(customer=tree.distributor, type=license_type)
    licenses_sell(actor=tree.distributor_admin, licenses=[license], to=shop, now=now)
    licenses_return(actor=tree.distributor_admin, licenses=[license], now=now)
    assert not License.objects.filter(customer=shop).exists()

    with pytest.raises(ProtectedError):
        shop.delete()
    with pytest.raises(ProtectedError):
        License.objects.filter(pk=license.pk).delete()
