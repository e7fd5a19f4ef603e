"""Accounts (SPEC 5 and 13): only a customer's own admins manage them; passwords and usernames
follow Django's rules."""

import pytest

from daypass.core.errors import DaypassError, ValidationFailed
from daypass.core.models import AuditEvent
from daypass.customers.accounts import (
    account_change_own_password,
    account_create,
    account_set_password,
    account_update,
)
from daypass.customers.models import Account
from daypass.customers.services import customer_create_with_admin
from daypass.customers.tokens import token_authenticate, token_create
from tests import factories

pytestmark = pytest.mark.django_db

GOOD = "a-long-password"


@pytest.mark.parametrize("role", ["admin", "operator", "viewer"])
def test_an_own_admin_creates_accounts(tree, now, role):
    account = account_create(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        username=f"new-{role}",
        password=GOOD,
        role=role,
        now=now,
    )

    assert (account.customer, account.role) == (tree.dealer, role)
    assert account.must_change_password is True
    assert AuditEvent.objects.filter(action="account.create", target=f"new-{role}").exists()


@pytest.mark.parametrize(
    ("actor", "customer", "code"),
    [
        # SPEC 5: a superior's admin may not mint an account inside a sub-customer.
        ("distributor_admin", "dealer", "forbidden"),
        ("platform_admin", "fleet", "forbidden"),
        ("dealer_operator", "dealer", "forbidden"),
        ("dealer_viewer", "dealer", "forbidden"),
        ("dealer_admin", "distributor", "not_found"),
        ("dealer_admin", "sibling", "not_found"),
    ],
)
def test_no_one_else_creates_accounts(tree, now, actor, customer, code):
    with pytest.raises(DaypassError) as error:
        account_create(
            actor=getattr(tree, actor),
            customer=getattr(tree, customer),
            username="someone",
            password=GOOD,
            role="admin",
            now=now,
        )

    assert error.value.code == code
    assert not Account.objects.filter(username="someone").exists()


def test_a_superior_still_creates_a_sub_customer_with_its_first_admin(tree, now):
    customer = customer_create_with_admin(
        actor=tree.distributor_admin,
        parent=tree.dealer,
        name="New fleet",
        admin_username="newfleet-admin",
        admin_password=GOOD,
        now=now,
    )

    admin = Account.objects.get(username="newfleet-admin")
    assert (admin.customer, admin.role) == (customer, "admin")
    assert admin.must_change_password is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": "owner"}, "role"),
        ({"role": "gateway"}, "role"),
        ({"password": "short"}, "password"),
        ({"password": ""}, "password"),
        ({"password": "password"}, "password"),
        ({"password": "12345678"}, "password"),
        ({"password": "98765432123"}, "password"),
        ({"password": "        "}, "password"),
        ({"username": "someone-long", "password": "someone-long"}, "password"),
        ({"username": ""}, "username"),
        ({"username": "=2+5+cmd|' /C calc'!A0"}, "username"),
        ({"username": "two words"}, "username"),
        ({"username": "x" * 151}, "username"),
    ],
)
def test_account_create_rejects_bad_values(tree, now, overrides, field):
    values = {"username": "someone", "password": GOOD, "role": "viewer"} | overrides

    with pytest.raises(ValidationFailed) as error:
        account_create(actor=tree.dealer_admin, customer=tree.dealer, now=now, **values)

    assert error.value.field == field
    assert not Account.objects.filter(customer=tree.dealer, username=values["username"]).exists()


@pytest.mark.parametrize("username", ["ok.name", "a+b", "user@example.com", "x_y-z", "名字"])
def test_usernames_follow_djangos_rules(tree, now, username):
    account = account_create(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        username=username,
        password=GOOD,
        role="viewer",
        now=now,
    )

    assert account.username == username


def test_weak_passwords_are_refused_without_an_actor_too(tree, now):
    with pytest.raises(ValidationFailed) as error:
        account_create(
            actor=None,
            customer=tree.dealer,
            username="cli",
            password="12345678",
            role="admin",
            now=now,
        )

    assert error.value.field == "password"


def test_gateway_accounts_belong_to_the_platform(tree, now):
    gateway = account_create(
        actor=tree.platform_admin,
        customer=tree.platform,
        username="gw",
        password=GOOD,
        role="gateway",
        now=now,
    )

    assert gateway.role == "gateway"


# --- account_update ---------------------------------------------------------------------------


def test_an_own_admin_changes_role_email_and_deactivates(tree, now):
    account = account_update(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        username=tree.dealer_operator.username,
        role="viewer",
        email="ops@example.com",
        active=False,
        now=now,
    )

    fresh = Account.objects.get(pk=tree.dealer_operator.pk)
    assert (fresh.role, fresh.email, fresh.is_active) == ("viewer", "ops@example.com", False)
    assert account.role == "viewer"
    event = AuditEvent.objects.get(action="account.update")
    assert event.details == {
        "customer": tree.dealer.number,
        "role": "viewer",
        "email": "ops@example.com",
        "active": False,
    }


@pytest.mark.parametrize(
    ("actor", "customer", "code"),
    [
        ("distributor_admin", "dealer", "forbidden"),
        ("platform_admin", "dealer", "forbidden"),
        ("dealer_operator", "dealer", "forbidden"),
        ("fleet_admin", "dealer", "not_found"),
        ("sibling_admin", "dealer", "not_found"),
    ],
)
def test_no_one_else_changes_accounts(tree, now, actor, customer, code):
    with pytest.raises(DaypassError) as error:
        account_update(
            actor=getattr(tree, actor),
            customer=getattr(tree, customer),
            username=tree.dealer_viewer.username,
            role="admin",
            now=now,
        )

    assert error.value.code == code
    assert Account.objects.get(pk=tree.dealer_viewer.pk).role == "viewer"


def test_an_account_of_another_customer_is_not_found(tree, now):
    with pytest.raises(DaypassError) as error:
        account_update(
            actor=tree.dealer_admin,
            customer=tree.dealer,
            username=tree.fleet_admin.username,
            active=False,
            now=now,
        )

    assert error.value.code == "not_found"
    assert Account.objects.get(pk=tree.fleet_admin.pk).is_active


@pytest.mark.parametrize("change", [{"active": False}, {"role": "operator"}])
def test_the_last_active_admin_stays(tree, now, change):
    with pytest.raises(ValidationFailed):
        account_update(
            actor=tree.dealer_admin,
            customer=tree.dealer,
            username=tree.dealer_admin.username,
            now=now,
            **change,
        )

    fresh = Account.objects.get(pk=tree.dealer_admin.pk)
    assert (fresh.role, fresh.is_active) == ("admin", True)


def test_an_admin_deactivates_another_admin(tree, now):
    second = factories.make_account(tree.dealer, "admin")

    account_update(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        username=second.username,
        active=False,
        now=now,
    )

    assert not Account.objects.get(pk=second.pk).is_active


def test_a_deactivated_accounts_tokens_stop_at_once(tree, now):
    _token, secret = token_create(account=tree.dealer_operator, name="t", now=now)
    assert token_authenticate(secret=secret, now=now) is not None

    account_update(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        username=tree.dealer_operator.username,
        active=False,
        now=now,
    )

    assert token_authenticate(secret=secret, now=now) is None


@pytest.mark.parametrize("email", ["not-an-email", "a@", "x" * 250 + "@example.com"])
def test_a_bad_email_is_refused(tree, now, email):
    with pytest.raises(ValidationFailed) as error:
        account_update(
            actor=tree.dealer_admin,
            customer=tree.dealer,
            username=tree.dealer_viewer.username,
            email=email,
            now=now,
        )

    assert error.value.field == "email"


# --- passwords ----------------------------------------------------------------------------------


def test_an_own_admin_sets_a_password_and_the_account_must_choose_its_own(tree, now):
    account_set_password(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        username=tree.dealer_operator.username,
        password="another-long-one",
        now=now,
    )

    fresh = Account.objects.get(pk=tree.dealer_operator.pk)
    assert fresh.check_password("another-long-one")
    assert fresh.must_change_password is True
    assert AuditEvent.objects.filter(action="account.set_password").exists()


def test_a_superior_may_not_set_a_sub_customers_password(tree, now):
    with pytest.raises(DaypassError) as error:
        account_set_password(
            actor=tree.distributor_admin,
            customer=tree.dealer,
            username=tree.dealer_admin.username,
            password="another-long-one",
            now=now,
        )

    assert error.value.code == "forbidden"
    assert Account.objects.get(pk=tree.dealer_admin.pk).check_password(factories.PASSWORD)


def test_set_password_checks_the_validators(tree, now):
    with pytest.raises(ValidationFailed) as error:
        account_set_password(
            actor=tree.dealer_admin,
            customer=tree.dealer,
            username=tree.dealer_operator.username,
            password="password",
            now=now,
        )

    assert error.value.field == "password"


def test_an_account_changes_its_own_password(tree, now):
    account = Account.objects.get(pk=tree.dealer_viewer.pk)
    account.must_change_password = True
    account.save()

    account_change_own_password(
        actor=account, current_password=factories.PASSWORD, password="my-own-secret-1", now=now
    )

    fresh = Account.objects.get(pk=account.pk)
    assert fresh.check_password("my-own-secret-1")
    assert fresh.must_change_password is False


@pytest.mark.parametrize(
    ("current", "new", "field"),
    [
        ("wrong-password", "my-own-secret-1", "current_password"),
        (factories.PASSWORD, "12345678", "password"),
        (factories.PASSWORD, factories.PASSWORD, "password"),
    ],
)
def test_own_password_change_refusals(tree, now, current, new, field):
    with pytest.raises(ValidationFailed) as error:
        account_change_own_password(
            actor=tree.dealer_viewer, current_password=current, password=new, now=now
        )

    assert error.value.field == field
    assert Account.objects.get(pk=tree.dealer_viewer.pk).check_password(factories.PASSWORD)


def test_an_expired_token_authenticates_nothing(tree, now):
    from datetime import timedelta

    _token, secret = token_create(account=tree.dealer_viewer, name="t", now=now, expires_in_days=1)

    assert token_authenticate(secret=secret, now=now + timedelta(hours=23)) is not None
    assert token_authenticate(secret=secret, now=now + timedelta(days=1)) is None
