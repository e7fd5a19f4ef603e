import pytest
from django.urls import reverse

from daypass.customers.models import Account, ApiToken, Customer
from daypass.customers.tokens import token_authenticate
from tests import factories


def test_admin_creates_a_sub_customer_with_its_admin(tree, login):
    client = login(tree.dealer_admin)

    response = client.post(
        reverse("web:customers"),
        {
            "form": "customer",
            "customer-name": "Harbor Taxi",
            "customer-admin_username": "harbor-admin",
            "customer-admin_password": "a-long-password",
        },
        follow=True,
    )

    child = Customer.objects.get(name="Harbor Taxi")
    assert child.parent == tree.dealer
    assert Account.objects.get(username="harbor-admin").customer == child
    assert "Harbor Taxi" in response.content.decode()


def test_sub_customer_form_errors_appear_next_to_the_fields(tree, login):
    client = login(tree.dealer_admin)

    response = client.post(
        reverse("web:customers"),
        {
            "form": "customer",
            "customer-name": "",
            "customer-admin_username": tree.fleet_admin.username,
            "customer-admin_password": "short",
        },
    )

    form = response.context["customer_form"]
    assert set(form.errors) == {"name", "admin_username", "admin_password"}
    assert "This username is taken." in response.content.decode()
    assert not Customer.objects.filter(parent=tree.dealer).exclude(pk=tree.fleet.pk).exists()


def test_an_own_admin_creates_an_account(tree, login):
    client = login(tree.fleet_admin)

    client.post(
        reverse("web:customers"),
        {
            "form": "account",
            "account-username": "fleet-ops",
            "account-password": "a-long-password",
            "account-role": "operator",
        },
    )

    account = Account.objects.get(username="fleet-ops")
    assert account.customer == tree.fleet and account.role == "operator"
    assert account.must_change_password


def test_a_superior_admin_cannot_create_a_sub_customers_account(tree, login):
    # SPEC 5: only the customer's own admins manage its accounts after it is created.
    client = login(tree.distributor_admin)
    url = reverse("web:customers") + f"?customer={tree.fleet.number}"

    page = client.get(url)
    response = client.post(
        url,
        {
            "form": "account",
            "account-username": "fleet-ops",
            "account-password": "a-long-password",
            "account-role": "admin",
        },
    )

    assert 'data-testid="accounts-own-admins-only"' in page.content.decode()
    assert response.status_code == 200
    assert not Account.objects.filter(username="fleet-ops").exists()


def test_an_operator_cannot_create_accounts(tree, login):
    client = login(tree.dealer_operator)

    page = client.get(reverse("web:customers"))
    client.post(
        reverse("web:customers"),
        {
            "form": "account",
            "account-username": "sneaky",
            "account-password": "a-long-password",
            "account-role": "admin",
        },
    )

    assert "New account for" not in page.content.decode()
    assert not Account.objects.filter(username="sneaky").exists()


def test_sub_customers_list_shows_the_subtree(tree, login):
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:customers"))

    assert [c.name for c in response.context["sub_customers"]] == ["Dealer", "Fleet"]


def test_own_admin_switches_superior_management(tree, login):
    client = login(tree.dealer_admin)

    client.post(reverse("web:settings"), {"allow_superior_manage_licenses": "on"})
    assert Customer.objects.get(pk=tree.dealer.pk).allow_superior_manage_licenses

    client.post(reverse("web:settings"), {})
    assert not Customer.objects.get(pk=tree.dealer.pk).allow_superior_manage_licenses


def test_own_admin_switches_auto_renew_and_keeps_the_other_switch(tree, login):
    client = login(tree.dealer_admin)

    response = client.post(reverse("web:settings"), {"allow_auto_renew": "on"}, follow=True)

    fresh = Customer.objects.get(pk=tree.dealer.pk)
    assert (fresh.allow_auto_renew, fresh.allow_superior_manage_licenses) == (True, False)
    assert "The settings are saved." in response.content.decode()


def test_a_superior_sees_the_setting_but_cannot_switch_it(tree, login):
    client = login(tree.distributor_admin)
    url = reverse("web:settings") + f"?customer={tree.dealer.number}"

    page = client.get(url)
    client.post(url, {"allow_superior_manage_licenses": "on"})

    assert not page.context["own_admin"]
    assert "Only this customer's own administrator can change this setting." in (
        page.content.decode().replace("&#x27;", "'")
    )
    assert not Customer.objects.get(pk=tree.dealer.pk).allow_superior_manage_licenses


def test_an_operator_cannot_switch_the_setting(tree, login):
    client = login(tree.dealer_operator)

    client.post(reverse("web:settings"), {"allow_superior_manage_licenses": "on"})

    assert not Customer.objects.get(pk=tree.dealer.pk).allow_superior_manage_licenses


def test_token_created_shows_the_secret_once_then_lists_it(tree, login):
    client = login(tree.dealer_operator)

    created = client.post(reverse("web:tokens"), {"name": "gateway eu-1"})
    secret = created.context["new_secret"]
    listed = client.get(reverse("web:tokens"))

    assert token_authenticate(secret=secret, now=factories.NOW) == tree.dealer_operator
    assert secret in created.content.decode()
    assert secret not in listed.content.decode()
    assert "gateway eu-1" in listed.content.decode()


def test_token_name_is_required(tree, login):
    client = login(tree.dealer_operator)

    response = client.post(reverse("web:tokens"), {"name": ""})

    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_revoke_a_token(tree, login):
    client = login(tree.dealer_operator)
    secret = client.post(reverse("web:tokens"), {"name": "t"}).context["new_secret"]
    token = ApiToken.objects.get()

    client.post(reverse("web:token_revoke", args=[token.pk]), {"confirmed": "1"})

    assert ApiToken.objects.get().revoked_at is not None
    assert token_authenticate(secret=secret, now=factories.NOW) is None


def test_revoking_a_token_asks_for_confirmation_first(tree, login):
    client = login(tree.dealer_operator)
    client.post(reverse("web:tokens"), {"name": "gateway eu-1"})
    token = ApiToken.objects.get()

    response = client.post(reverse("web:token_revoke", args=[token.pk]))

    assert response.status_code == 200
    assert "Revoke token gateway eu-1? Programs using it stop working at once" in (
        response.content.decode()
    )
    assert ApiToken.objects.get().revoked_at is None


def test_the_token_list_offers_a_revoke_confirmation_dialog(tree, login):
    client = login(tree.dealer_operator)
    client.post(reverse("web:tokens"), {"name": "gateway eu-1"})

    page = client.get(reverse("web:tokens")).content.decode()

    assert 'id="revoke-dialog"' in page
    assert 'data-dialog="revoke-dialog"' in page


def test_another_customers_token_cannot_be_revoked(tree, login):
    sibling_client = login(tree.sibling_admin)
    sibling_client.post(reverse("web:tokens"), {"name": "theirs"})
    token = ApiToken.objects.get()
    client = login(tree.dealer_admin)

    response = client.post(reverse("web:token_revoke", args=[token.pk]))

    assert response.status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_an_account_created_by_someone_else_chooses_its_password_first(tree, login):
    from daypass.customers.accounts import account_create
    from tests.factories import NOW

    created = account_create(
        actor=tree.fleet_admin,
        customer=tree.fleet,
        username="fleet-new",
        password="chosen-by-admin-1",
        role="operator",
        now=NOW,
    )
    client = login(created)

    # every console page sends it to the password page, which says why
    page = client.get(reverse("web:licenses"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("web:password_change"))
    form = client.get(page["Location"])
    assert 'data-testid="password-must-change"' in form.content.decode()

    # a weak password is refused there too; the right change lets it in
    weak = client.post(
        reverse("web:password_change"),
        {
            "current_password": "chosen-by-admin-1",
            "password": "12345678",
            "password_again": "12345678",
        },
    )
    assert weak.status_code == 200 and weak.context["form"].errors["password"]
    done = client.post(
        reverse("web:password_change") + "?next=/licenses/",
        {
            "current_password": "chosen-by-admin-1",
            "password": "my-very-own-secret",
            "password_again": "my-very-own-secret",
            "next": "/licenses/",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/licenses/"
    assert client.get(reverse("web:licenses")).status_code == 200
    fresh = Account.objects.get(pk=created.pk)
    assert fresh.check_password("my-very-own-secret") and not fresh.must_change_password


def test_a_deactivated_accounts_console_session_stops_at_once(tree, login):
    client = login(tree.dealer_operator)
    assert client.get(reverse("web:licenses")).status_code == 200

    Account.objects.filter(pk=tree.dealer_operator.pk).update(is_active=False)

    response = client.get(reverse("web:licenses"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_a_token_with_an_expiry_shows_it(tree, login):
    client = login(tree.dealer_operator)

    client.post(reverse("web:tokens"), {"name": "short-lived", "expires_in_days": "30"})
    listed = client.get(reverse("web:tokens")).content.decode()

    token = ApiToken.objects.get(name="short-lived")
    assert (token.expires_at - token.created_at).days == 30
    assert token.expires_at.strftime("%Y-%m-%d %H:%M") in listed
    ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at)
    assert ">Expired<" in client.get(reverse("web:tokens")).content.decode()


@pytest.mark.parametrize("days", ["0", "3651", "soon"])
def test_a_token_expiry_out_of_range_is_refused(tree, login, days):
    client = login(tree.dealer_operator)

    response = client.post(reverse("web:tokens"), {"name": "x", "expires_in_days": days})

    assert "expires_in_days" in response.context["form"].errors
    assert not ApiToken.objects.exists()
