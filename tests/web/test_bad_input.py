"""SPEC 9 in the console: a date filter out of range or text holding NUL is a 422 page saying
what was wrong, never a 500 (issue 8, item 1), and nothing changes."""

import pytest
from django.test import Client
from django.urls import reverse

from daypass.devices.models import Device
from daypass.licenses.models import License
from tests import factories
from tests.web.test_pages_render import PAGES

NUL = "\u0000"


@pytest.mark.parametrize("page", PAGES)
def test_a_customer_holding_nul_is_a_422_page_on_every_page(tree, login, page):
    response = login(tree.distributor_admin).get(reverse(page), {"customer": NUL})

    assert response.status_code == 422
    assert "Text must not contain NUL characters." in response.content.decode()


@pytest.mark.parametrize(
    ("page", "name"),
    [
        ("web:licenses", "activated_to"),
        ("web:licenses", "activated_from"),
        ("web:transfers", "date_to"),
        ("web:deductions", "date_to"),
    ],
)
def test_a_date_filter_out_of_range_is_a_422_with_the_error_next_to_the_field(
    tree, catalog, login, page, name
):
    response = login(tree.distributor_admin).get(reverse(page), {name: "9999-12-31"})

    assert response.status_code == 422
    html = response.content.decode()
    assert f'name="{name}" value="9999-12-31"' in html
    assert 'aria-invalid="true"' in html and "Enter a date as YYYY-MM-DD." in html


@pytest.mark.parametrize("page", ["web:transfers", "web:deductions"])
def test_a_csv_export_with_a_date_out_of_range_is_a_422_not_a_file(tree, catalog, login, page):
    response = login(tree.distributor_admin).get(
        reverse(page), {"format": "csv", "date_to": "9999-12-31"}
    )

    assert response.status_code == 422
    assert not response.get("Content-Disposition")


def test_a_filter_holding_nul_is_a_422(tree, catalog, login):
    response = login(tree.distributor_admin).get(reverse("web:licenses"), {"card": f"L{NUL}"})

    assert response.status_code == 422


def test_a_card_holding_nul_in_the_path_is_a_422(tree, catalog, login):
    response = login(tree.distributor_operator).post("/licenses/%00/lock/", {"confirmed": "1"})

    assert response.status_code == 422
    assert not License.objects.filter(locked=True).exclude(card="L0006").exists()


@pytest.mark.parametrize(
    ("url", "form"),
    [
        (
            reverse("web:license_bind", args=["L0001"]),
            {"confirmed": "1", "device": f"860000000000001{NUL}"},
        ),
        (reverse("web:licenses_sell"), {"confirmed": "1", "cards": [f"L0001{NUL}"], "to": "x"}),
        (reverse("web:licenses_sell"), {"confirmed": "1", "cards": ["L0001"], "to": NUL}),
        (reverse("web:licenses_return"), {"confirmed": "1", "cards": [NUL]}),
        (
            reverse("web:device_transfer"),
            {"confirmed": "1", "devices": [f"86{NUL}"], "to": "x"},
        ),
    ],
)
def test_a_form_holding_nul_is_a_422_and_changes_nothing(tree, catalog, login, url, form):
    response = login(tree.distributor_operator).post(url, form)

    assert response.status_code == 422
    assert "Text must not contain NUL characters." in response.content.decode()
    assert License.objects.get(card="L0001").customer == tree.distributor
    assert License.objects.get(card="L0001").device is None
    assert Device.objects.get(number="860000000000001").customer == tree.distributor


def test_signing_in_with_nul_is_a_422_not_a_500(tree):
    response = Client().post(reverse("web:login"), {"username": f"a{NUL}", "password": "x"})

    assert response.status_code == 422


def test_selling_a_card_outside_the_subtree_among_own_cards_is_not_found(tree, catalog, login):
    factories.make_license(customer=tree.sibling, type=catalog["adas"], card="S0001")

    response = login(tree.distributor_operator).post(
        reverse("web:licenses_sell"),
        {"confirmed": "1", "cards": ["L0001", "S0001"], "to": tree.dealer.number},
    )

    assert response.status_code == 404
    assert License.objects.get(card="L0001").customer == tree.distributor
