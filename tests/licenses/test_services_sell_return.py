import pytest

from daypass.core.errors import DaypassError, NotFound, ValidationFailed
from daypass.core.models import AuditEvent
from daypass.licenses.models import License, Transfer
from daypass.licenses.selectors import license_list
from daypass.licenses.services import licenses_batch_select, licenses_return, licenses_sell
from tests import factories


def owners(licenses):
    return {
        lic.card: lic.customer for lic in License.objects.filter(pk__in=[x.pk for x in licenses])
    }


@pytest.mark.django_db
def test_sell_moves_every_license_to_the_child_with_one_batch(tree, license_type, now):
    licenses = [
        factories.make_license(customer=tree.distributor, type=license_type) for _ in range(3)
    ]

    result = licenses_sell(
        actor=tree.distributor_operator, licenses=licenses, to=tree.dealer, now=now
    )

    assert set(owners(licenses).values()) == {tree.dealer}
    transfers = list(Transfer.objects.all())
    assert len(transfers) == 3
    assert {t.batch for t in transfers} == {result.batch}
    assert {(t.from_customer, t.to_customer, t.method, t.account) for t in transfers} == {
        (tree.distributor, tree.dealer, "sell", tree.distributor_operator)
    }
    assert sorted(t.license.card for t in transfers) == sorted(lic.card for lic in licenses)
    assert [lic.card for lic in result.licenses] == sorted(lic.card for lic in licenses)
    event = AuditEvent.objects.get(action="license.sell")
    assert event.target == str(result.batch)
    assert event.details["count"] == 3


@pytest.mark.django_db
def test_sell_to_a_grandchild_is_not_a_child(tree, license_type, now, unchanged):
    license = factories.make_license(customer=tree.distributor, type=license_type)

    with unchanged(), pytest.raises(DaypassError) as error:
        licenses_sell(actor=tree.distributor_admin, licenses=[license], to=tree.fleet, now=now)

    assert error.value.code == "not_a_child"


@pytest.mark.django_db
def test_sell_to_a_customer_outside_the_subtree_is_not_found(tree, license_type, now, unchanged):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    with unchanged(), pytest.raises(NotFound):
        licenses_sell(actor=tree.dealer_admin, licenses=[license], to=tree.sibling, now=now)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "code"),
    [
        pytest.param({"locked": True}, "license_locked", id="locked"),
        pytest.param({"available_days": 0}, "license_expired", id="expired"),
        pytest.param({"bound": True}, "license_bound", id="bound"),
    ],
)
@pytest.mark.parametrize("operation", ["sell", "return"])
def test_one_bad_license_fails_the_whole_batch_and_changes_nothing(
    tree, license_type, dealer_device, now, unchanged, fields, code, operation
):
    good = [factories.make_license(customer=tree.dealer, type=license_type) for _ in range(3)]
    fields = dict(fields)  # the parameter is shared between runs: never mutate it
    if fields.pop("bound", False):
        fields.update(device=dealer_device, bound_at=now)
    bad = factories.make_license(customer=tree.dealer, type=license_type, **fields)
    batch = [good[0], bad, *good[1:]]

    with unchanged(), pytest.raises(DaypassError) as error:
        if operation == "sell":
            licenses_sell(actor=tree.dealer_admin, licenses=batch, to=tree.fleet, now=now)
        else:
            licenses_return(actor=tree.dealer_admin, licenses=batch, now=now)

    assert error.value.code == code
    assert bad.card in error.value.message


@pytest.mark.django_db
def test_deactivated_licenses_can_be_sold(tree, license_type, now):
    license = factories.make_license(
        customer=tree.dealer, type=license_type, activated_at=now, available_days=100
    )

    licenses_sell(actor=tree.dealer_admin, licenses=[license], to=tree.fleet, now=now)

    assert owners([license]) == {license.card: tree.fleet}


@pytest.mark.django_db
def test_sell_of_an_empty_list_is_a_validation_error(tree, now, unchanged):
    with unchanged(), pytest.raises(ValidationFailed):
        licenses_sell(actor=tree.dealer_admin, licenses=[], to=tree.fleet, now=now)


@pytest.mark.django_db
def test_the_same_license_twice_in_one_sale_is_sold_once(tree, license_type, now):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    licenses_sell(actor=tree.dealer_admin, licenses=[license, license], to=tree.fleet, now=now)

    assert Transfer.objects.count() == 1


@pytest.mark.django_db
def test_return_moves_licenses_to_the_owners_parent(tree, license_type, now):
    licenses = [factories.make_license(customer=tree.fleet, type=license_type) for _ in range(2)]

    result = licenses_return(actor=tree.fleet_admin, licenses=licenses, now=now)

    assert set(owners(licenses).values()) == {tree.dealer}
    assert {
        (t.from_customer, t.to_customer, t.method, t.batch) for t in Transfer.objects.all()
    } == {(tree.fleet, tree.dealer, "return", result.batch)}
    assert Transfer.objects.count() == 2
    assert AuditEvent.objects.filter(action="license.return", target=str(result.batch)).exists()


@pytest.mark.django_db
def test_return_by_the_platform_has_no_superior(tree, license_type, now, unchanged):
    license = factories.make_license(customer=tree.platform, type=license_type)

    with unchanged(), pytest.raises(DaypassError) as error:
        licenses_return(actor=tree.platform_admin, licenses=[license], now=now)

    assert error.value.code == "no_superior"


@pytest.mark.django_db
def test_superior_admin_returns_a_sub_customers_license_to_its_parent(tree, license_type, now):
    # given: the fleet allows its superiors to manage its licenses
    tree.fleet.allow_superior_manage_licenses = True
    tree.fleet.save()
    license = factories.make_license(customer=tree.fleet, type=license_type)

    licenses_return(actor=tree.distributor_admin, licenses=[license], now=now)

    # then: it goes to the fleet's parent (the dealer), not to the acting distributor
    assert owners([license]) == {license.card: tree.dealer}
    assert Transfer.objects.get().account == tree.distributor_admin


# --- batch select ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_batch_select_picks_eligible_licenses_oldest_card_first(
    tree, license_type, dealer_device, now
):
    factories.make_license(customer=tree.dealer, type=license_type, card="A-1", locked=True)
    factories.make_license(customer=tree.dealer, type=license_type, card="A-2", available_days=0)
    factories.make_license(
        customer=tree.dealer, type=license_type, card="A-3", device=dealer_device, bound_at=now
    )
    factories.make_license(customer=tree.dealer, type=license_type, card="A-6")
    factories.make_license(customer=tree.dealer, type=license_type, card="A-4")
    factories.make_license(customer=tree.dealer, type=license_type, card="A-5")
    factories.make_license(customer=tree.fleet, type=license_type, card="A-0")

    chosen = licenses_batch_select(
        actor=tree.dealer_operator, customer=tree.dealer, quantity=2, purpose="sell"
    )

    assert [lic.card for lic in chosen] == ["A-4", "A-5"]


@pytest.mark.django_db
def test_batch_select_with_too_few_eligible_is_insufficient_quantity(tree, license_type):
    factories.make_license(customer=tree.dealer, type=license_type)
    factories.make_license(customer=tree.dealer, type=license_type, locked=True)

    with pytest.raises(DaypassError) as error:
        licenses_batch_select(
            actor=tree.dealer_admin, customer=tree.dealer, quantity=2, purpose="sell"
        )

    assert error.value.code == "insufficient_quantity"


@pytest.mark.django_db
def test_batch_select_honours_the_type_and_the_current_filters(tree, license_type, now):
    other_type = factories.make_license_type(code="OTHER")
    factories.make_license(customer=tree.dealer, type=other_type, card="B-1")
    factories.make_license(customer=tree.dealer, type=license_type, card="B-2", available_days=5)
    factories.make_license(customer=tree.dealer, type=license_type, card="B-3", available_days=50)
    factories.make_license(customer=tree.dealer, type=license_type, card="B-4", available_days=60)
    filtered = license_list(tree.dealer_admin, tree.dealer, {"days_min": "10", "order": "-card"})

    chosen = licenses_batch_select(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        quantity=2,
        purpose="sell",
        license_type=license_type,
        queryset=filtered,
    )

    assert [lic.card for lic in chosen] == ["B-3", "B-4"]


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, -1, 100_001, "3"])
def test_batch_select_quantity_must_be_1_to_100000(tree, quantity):
    with pytest.raises(ValidationFailed) as error:
        licenses_batch_select(
            actor=tree.dealer_admin, customer=tree.dealer, quantity=quantity, purpose="sell"
        )

    assert error.value.field == "quantity"


@pytest.mark.django_db
def test_batch_select_then_sell_moves_exactly_the_chosen_licenses(tree, license_type, now):
    for _ in range(5):
        factories.make_license(customer=tree.dealer, type=license_type)

    chosen = licenses_batch_select(
        actor=tree.dealer_admin, customer=tree.dealer, quantity=3, purpose="sell"
    )
    licenses_sell(actor=tree.dealer_admin, licenses=chosen, to=tree.fleet, now=now)

    assert License.objects.filter(customer=tree.fleet).count() == 3
    assert License.objects.filter(customer=tree.dealer).count() == 2


@pytest.mark.django_db
def test_batch_select_for_return_by_the_platform_has_no_superior(tree, license_type):
    factories.make_license(customer=tree.platform, type=license_type)

    with pytest.raises(DaypassError) as error:
        licenses_batch_select(
            actor=tree.platform_admin, customer=tree.platform, quantity=1, purpose="return"
        )

    assert error.value.code == "no_superior"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "purpose", "code"),
    [
        ("dealer_viewer", "sell", "forbidden"),
        ("distributor_admin", "sell", "forbidden"),
        ("distributor_admin", "return", "superior_management_disabled"),
        ("sibling_admin", "sell", "not_found"),
        ("fleet_admin", "return", "not_found"),
    ],
)
def test_batch_select_follows_the_permissions_of_sell_and_return(
    tree, license_type, actor, purpose, code
):
    factories.make_license(customer=tree.dealer, type=license_type)

    with pytest.raises(DaypassError) as error:
        licenses_batch_select(
            actor=getattr(tree, actor), customer=tree.dealer, quantity=1, purpose=purpose
        )

    assert error.value.code == code
