"""The accounts page: own admins change role and email, deactivate, reactivate and set
passwords; superiors and other roles only see the list."""

from django.urls import reverse

from daypass.customers.models import Account


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def url(name: str, account: Account) -> str:
    return reverse(name, args=[account.username]) + f"?customer={account.customer.number}"


def test_the_list_shows_every_account_of_the_selected_customer(tree, login):
    response = login(tree.dealer_admin).get(reverse("web:accounts"))

    listed = [a.username for a in response.context["accounts"]]
    assert listed == sorted(
        [tree.dealer_admin.username, tree.dealer_operator.username, tree.dealer_viewer.username]
    )
    assert response.context["own_admin"] is True
    assert 'id="deactivate-dialog"' in response.content.decode()


def test_a_superior_sees_a_sub_customers_accounts_read_only(tree, login):
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:accounts"), {"customer": tree.dealer.number})
    changed = client.post(
        url("web:account_active", tree.dealer_operator), {"active": "false"}, follow=True
    )

    assert response.context["own_admin"] is False
    assert 'data-testid="accounts-read-only"' in response.content.decode()
    assert "Edit" not in response.content.decode().split('data-testid="account-list"')[1]
    assert messages_of(changed)[0].startswith("Only")
    assert Account.objects.get(pk=tree.dealer_operator.pk).is_active


def test_change_role_and_email(tree, login):
    client = login(tree.dealer_admin)

    response = client.post(
        url("web:account_edit", tree.dealer_viewer),
        {"role": "operator", "email": "viewer@harbor.example"},
        follow=True,
    )

    account = Account.objects.get(pk=tree.dealer_viewer.pk)
    assert messages_of(response) == [f"Account {account.username} is saved."]
    assert (account.role, account.email) == ("operator", "viewer@harbor.example")


def test_an_invalid_email_says_so_and_changes_nothing(tree, login):
    response = login(tree.dealer_admin).post(
        url("web:account_edit", tree.dealer_viewer),
        {"role": "viewer", "email": "not an email"},
        follow=True,
    )

    assert messages_of(response) == ["email is not valid."]
    assert Account.objects.get(pk=tree.dealer_viewer.pk).email == ""


def test_deactivate_then_reactivate(tree, login):
    client = login(tree.dealer_admin)
    operator = tree.dealer_operator

    off = client.post(url("web:account_active", operator), {"active": "false"}, follow=True)
    assert not Account.objects.get(pk=operator.pk).is_active
    on = client.post(url("web:account_active", operator), {"active": "true"}, follow=True)

    assert messages_of(off) == [
        f"Account {operator.username} is deactivated: it can no longer sign in or use tokens."
    ]
    assert messages_of(on) == [f"Account {operator.username} is active again."]
    assert Account.objects.get(pk=operator.pk).is_active


def test_the_last_admin_cannot_be_deactivated(tree, login):
    response = login(tree.dealer_admin).post(
        url("web:account_active", tree.dealer_admin), {"active": "false"}, follow=True
    )

    assert messages_of(response) == ["A customer keeps at least one active administrator."]
    assert Account.objects.get(pk=tree.dealer_admin.pk).is_active


def test_set_a_password_makes_the_account_choose_its_own(tree, login):
    client = login(tree.dealer_admin)
    operator = tree.dealer_operator

    form = client.get(url("web:account_password", operator))
    response = client.post(
        url("web:account_password", operator), {"password": "harbor-night-shift-7"}, follow=True
    )

    assert form.status_code == 200
    account = Account.objects.get(pk=operator.pk)
    assert account.check_password("harbor-night-shift-7")
    assert account.must_change_password
    assert messages_of(response) == [
        f"A new password is set for {operator.username}; it must choose its own at its next "
        "sign-in."
    ]


def test_a_weak_password_is_refused_with_the_reason(tree, login):
    response = login(tree.dealer_admin).post(
        url("web:account_password", tree.dealer_operator), {"password": "12345678"}, follow=True
    )

    assert "too common" in " ".join(messages_of(response)) or "entirely numeric" in " ".join(
        messages_of(response)
    )
    assert not Account.objects.get(pk=tree.dealer_operator.pk).check_password("12345678")


def test_an_account_of_another_customer_is_not_found(tree, login):
    client = login(tree.dealer_admin)

    response = client.get(
        reverse("web:account_edit", args=[tree.sibling_admin.username])
        + f"?customer={tree.dealer.number}"
    )

    assert response.status_code == 404


def test_a_weak_password_is_refused_with_the_reason_in_chinese(tree, login):
    client = login(tree.dealer_admin)
    client.post(reverse("web:set_language"), {"language": "zh-hans", "next": "/"})

    response = client.post(
        url("web:account_password", tree.dealer_operator), {"password": "12345678"}, follow=True
    )

    shown = " ".join(messages_of(response))
    # Django's own translation of its validators' reasons, not the generic "输入无效".
    assert "密码" in shown and "输入无效" not in shown
    assert not Account.objects.get(pk=tree.dealer_operator.pk).check_password("12345678")
