import pytest

from daypass.core.errors import DaypassError, ValidationFailed
from daypass.core.models import AuditEvent
from daypass.customers.models import Account, Customer
from daypass.customers.services import (
    customer_create,
    customer_create_with_admin,
    customer_settings_update,
)
from tests import factories

SWITCH_ACTIONS = ("customer.superior_management", "customer.auto_renew")


@pytest.mark.django_db
def test_customer_create_under_the_admins_own_customer(tree, now):
    customer = customer_create(actor=tree.dealer_admin, parent=tree.dealer, name="Fleet B", now=now)

    assert (customer.parent, customer.depth) == (tree.dealer, 3)
    assert customer.path.startswith(tree.dealer.path)
    assert customer.number.startswith("C")
    assert customer.allow_superior_manage_licenses is False
    event = AuditEvent.objects.get(action="customer.create", target=customer.number)
    assert event.actor == tree.dealer_admin


@pytest.mark.django_db
def test_an_admin_may_create_a_customer_under_a_sub_customer(tree, now):
    customer = customer_create(
        actor=tree.distributor_admin, parent=tree.fleet, name="Sub fleet", now=now
    )

    assert customer.parent == tree.fleet


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "parent", "code"),
    [
        ("dealer_operator", "dealer", "forbidden"),
        ("dealer_viewer", "dealer", "forbidden"),
        ("dealer_admin", "distributor", "not_found"),
        ("dealer_admin", "sibling", "not_found"),
    ],
)
def test_customer_create_needs_an_admin_of_the_parent_or_a_superior(tree, now, actor, parent, code):
    count = Customer.objects.count()

    with pytest.raises(DaypassError) as error:
        customer_create(actor=getattr(tree, actor), parent=getattr(tree, parent), name="X", now=now)

    assert error.value.code == code
    assert Customer.objects.count() == count


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_customer_names_are_1_to_200_characters(tree, now, name):
    with pytest.raises(ValidationFailed) as error:
        customer_create(actor=tree.dealer_admin, parent=tree.dealer, name=name, now=now)

    assert error.value.field == "name"


@pytest.mark.django_db
def test_customer_create_with_admin_makes_both(tree, now):
    customer = customer_create_with_admin(
        actor=tree.dealer_admin,
        parent=tree.dealer,
        name="Fleet C",
        admin_username="fleetc",
        admin_password="a-long-password",
        now=now,
    )

    account = Account.objects.get(username="fleetc")
    assert (account.customer, account.role) == (customer, "admin")
    assert account.check_password("a-long-password")


@pytest.mark.django_db
def test_customer_create_with_admin_makes_neither_when_the_username_is_taken(tree, now):
    count = Customer.objects.count()

    with pytest.raises(ValidationFailed) as error:
        customer_create_with_admin(
            actor=tree.dealer_admin,
            parent=tree.dealer,
            name="Fleet D",
            admin_username=tree.fleet_admin.username,
            admin_password="a-long-password",
            now=now,
        )

    assert error.value.field == "username"
    assert Customer.objects.count() == count


@pytest.mark.django_db
def test_the_switch_is_changed_by_the_customers_own_admin(tree, now):
    customer = customer_settings_update(
        actor=tree.dealer_admin, customer=tree.dealer, allow_superior_manage_licenses=True, now=now
    )

    assert customer.allow_superior_manage_licenses is True
    assert Customer.objects.get(pk=tree.dealer.pk).allow_superior_manage_licenses is True
    event = AuditEvent.objects.get(action="customer.superior_management")
    assert event.details == {"allowed": True, "previous": False}
    assert event.actor == tree.dealer_admin
    assert event.target == tree.dealer.number


@pytest.mark.django_db
def test_auto_renew_is_off_by_default_and_switched_by_the_own_admin(tree, now):
    assert tree.dealer.allow_auto_renew is False

    customer = customer_settings_update(
        actor=tree.dealer_admin, customer=tree.dealer, allow_auto_renew=True, now=now
    )

    assert customer.allow_auto_renew is True
    assert customer.allow_superior_manage_licenses is False
    assert Customer.objects.get(pk=tree.dealer.pk).allow_auto_renew is True
    event = AuditEvent.objects.get(action="customer.auto_renew")
    assert event.details == {"allowed": True, "previous": False}
    assert not AuditEvent.objects.filter(action="customer.superior_management").exists()


@pytest.mark.django_db
def test_both_switches_at_once_write_one_audit_event_each(tree, now):
    customer_settings_update(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        allow_superior_manage_licenses=True,
        allow_auto_renew=True,
        now=now,
    )

    fresh = Customer.objects.get(pk=tree.dealer.pk)
    assert (fresh.allow_superior_manage_licenses, fresh.allow_auto_renew) == (True, True)
    actions = AuditEvent.objects.filter(action__in=SWITCH_ACTIONS).values_list("action", flat=True)
    assert sorted(actions) == ["customer.auto_renew", "customer.superior_management"]


@pytest.mark.django_db
def test_a_switch_set_to_its_value_writes_nothing(tree, now):
    customer_settings_update(
        actor=tree.dealer_admin, customer=tree.dealer, allow_auto_renew=False, now=now
    )

    assert not AuditEvent.objects.filter(action__in=SWITCH_ACTIONS).exists()


@pytest.mark.django_db
def test_settings_update_needs_a_switch(tree, now):
    with pytest.raises(ValidationFailed):
        customer_settings_update(actor=tree.dealer_admin, customer=tree.dealer, now=now)


@pytest.mark.django_db
@pytest.mark.parametrize("value", [1, 0, "true", ""])
def test_settings_update_takes_only_booleans(tree, now, value):
    with pytest.raises(ValidationFailed) as error:
        customer_settings_update(
            actor=tree.dealer_admin,
            customer=tree.dealer,
            allow_auto_renew=value,
            now=now,
        )

    assert error.value.field == "allow_auto_renew"
    assert Customer.objects.get(pk=tree.dealer.pk).allow_auto_renew is False


@pytest.mark.django_db
@pytest.mark.parametrize("switch", ["allow_superior_manage_licenses", "allow_auto_renew"])
@pytest.mark.parametrize(
    ("actor", "code"),
    [
        ("dealer_operator", "forbidden"),
        ("dealer_viewer", "forbidden"),
        ("distributor_admin", "forbidden"),
        ("platform_admin", "forbidden"),
        ("fleet_admin", "not_found"),
        ("sibling_admin", "not_found"),
    ],
)
def test_no_one_else_changes_the_switches(tree, now, actor, code, switch):
    with pytest.raises(DaypassError) as error:
        customer_settings_update(
            actor=getattr(tree, actor), customer=tree.dealer, now=now, **{switch: True}
        )

    assert error.value.code == code
    assert getattr(Customer.objects.get(pk=tree.dealer.pk), switch) is False
    assert not AuditEvent.objects.filter(action__in=SWITCH_ACTIONS).exists()


@pytest.mark.django_db
def test_init_style_creation_without_an_actor_still_works(db, now):
    platform = customer_create(actor=None, parent=None, name="Platform", now=now)
    admin = factories.make_account(platform, "admin")

    assert platform.is_platform
    assert admin.is_platform_admin
