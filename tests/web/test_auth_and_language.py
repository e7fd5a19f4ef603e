from django.test import Client
from django.urls import reverse

from tests import factories


def test_login_with_the_right_password_lands_on_license_management(tree):
    client = Client()

    response = client.post(
        reverse("web:login"),
        {"username": tree.dealer_admin.username, "password": factories.PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("web:home")
    assert "License Management" in response.content.decode()


def test_login_with_a_wrong_password_says_so(tree):
    response = Client().post(
        reverse("web:login"), {"username": tree.dealer_admin.username, "password": "nope"}
    )

    assert response.status_code == 200
    assert "Wrong username or password." in response.content.decode()


def test_a_gateway_account_cannot_use_the_console(tree):
    gateway = factories.make_account(tree.platform, "gateway")

    response = Client().post(
        reverse("web:login"), {"username": gateway.username, "password": factories.PASSWORD}
    )

    assert "This account cannot use the console." in response.content.decode()


def test_logout(tree, login):
    client = login(tree.dealer_admin)

    client.post(reverse("web:logout"))

    assert client.get(reverse("web:home")).status_code == 302


def test_switching_language_shows_chinese_labels(tree, login):
    client = login(tree.dealer_admin)

    client.post(reverse("web:set_language"), {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("web:home")).content.decode()

    assert 'lang="zh-hans"' in html
    assert "许可证管理" in html


def test_the_customer_selector_lists_the_subtree_with_depth(tree, login):
    client = login(tree.distributor_admin)

    options = client.get(reverse("web:home")).context["selector_customers"]

    assert [(c.name, c.relative_depth) for c in options] == [
        ("Distributor", 0),
        ("Dealer", 1),
        ("Fleet", 2),
    ]
