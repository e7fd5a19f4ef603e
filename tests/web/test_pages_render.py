import pytest
from django.urls import reverse

PAGES = [
    "web:home",
    "web:licenses",
    "web:transfers",
    "web:deductions",
    "web:devices",
    "web:customers",
    "web:settings",
    "web:tokens",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_the_own_customer(page, tree, catalog, login):
    client = login(tree.distributor_admin)

    response = client.get(reverse(page))

    assert response.status_code == 200
    assert tree.distributor.name in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_a_sub_customer(page, tree, catalog, login):
    client = login(tree.distributor_admin)

    response = client.get(reverse(page), {"customer": tree.fleet.number})

    assert response.status_code == 200
    assert tree.fleet.number in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_a_customer_outside_the_subtree_is_not_found(page, tree, catalog, login):
    client = login(tree.dealer_admin)

    sibling = client.get(reverse(page), {"customer": tree.sibling.number})
    superior = client.get(reverse(page), {"customer": tree.distributor.number})
    missing = client.get(reverse(page), {"customer": "C999999"})

    assert sibling.status_code == superior.status_code == missing.status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_pages_require_login(page, client, tree):
    response = client.get(reverse(page))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_an_expired_session_sends_htmx_to_the_login_page_not_into_the_table(client, tree):
    response = client.get(
        reverse("web:licenses"),
        {"status": "unused"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/licenses/?status=unused",
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/licenses/%3Fstatus%3Dunused"


def test_not_found_is_a_console_page(tree, login):
    client = login(tree.dealer_admin)

    response = client.get(reverse("web:licenses"), {"customer": tree.sibling.number})

    assert response.status_code == 404
    assert "Back to License Management" in response.content.decode()
