"""CSV exports of licenses and devices from the console (SPEC 13)."""

import csv
import io

from django.urls import reverse

from tests import factories
from tests.factories import NOW


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_license_export_has_the_list_rows_with_filters_and_subtree(tree, login):
    kind = factories.make_license_type(code="ADAS-365")
    factories.make_license(customer=tree.dealer, type=kind, card="L-1")
    factories.make_license(customer=tree.fleet, type=kind, card="L-2", available_days=5)
    factories.make_license(customer=tree.fleet, type=kind, card="X-3")
    client = login(tree.dealer_viewer)

    own = client.get(reverse("web:license_export"))
    whole = client.get(reverse("web:license_export"), {"subtree": "true", "card": "L-*"})

    assert [row[0] for row in rows_of(own)] == ["card", "L-1"]
    rows = rows_of(whole)
    assert [row[0] for row in rows[1:]] == ["L-1", "L-2"]
    assert rows[2][4] == "5"
    assert 'filename="licenses-' in whole["Content-Disposition"]


def test_device_export_has_the_bound_cards(tree, login):
    device = factories.make_device(customer=tree.fleet, number="D-1")
    factories.make_license(customer=tree.fleet, card="L-1", device=device, bound_at=NOW)
    client = login(tree.fleet_admin)

    rows = rows_of(client.get(reverse("web:device_export")))

    assert rows[0][0] == "number" and rows[0][-1] == "licenses"
    assert (rows[1][0], rows[1][-1]) == ("D-1", "L-1")


def test_exports_of_a_customer_outside_the_subtree_are_not_found(tree, login):
    client = login(tree.dealer_admin)

    for name in ("web:license_export", "web:device_export"):
        response = client.get(reverse(name), {"customer": tree.sibling.number})
        assert response.status_code == 404


def test_exports_need_a_login(tree, client):
    response = client.get(reverse("web:license_export"))

    assert response.status_code == 302
    assert "/login/" in response["Location"]
