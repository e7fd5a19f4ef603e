"""The whole subtree in the console (SPEC 13): the switch, the roll-up table, lists with the
subtree, the counterpart filter, the header search, consumption and forecast, export links."""

from django.urls import reverse

from daypass.billing.deduction import device_charge
from daypass.licenses.services import licenses_sell
from tests import factories


def test_license_management_with_the_subtree_adds_the_roll_up(tree, catalog, login):
    licenses_sell(
        actor=tree.distributor_operator,
        licenses=[catalog["licenses"]["unused"]],
        to=tree.dealer,
        now=factories.NOW,
    )
    client = login(tree.distributor_admin)

    alone = client.get(reverse("web:home"))
    whole = client.get(reverse("web:home"), {"subtree": "true"})

    assert alone.context["rollup"] == []
    rows = {row["customer"]: row for row in whole.context["rollup"]}
    assert list(rows) == [tree.distributor.number, tree.dealer.number]
    assert rows[tree.dealer.number]["total"] == 1
    assert rows[tree.distributor.number]["total"] == 5
    assert whole.context["stats"]["total"] == 6
    assert "subtree=true" in rows[tree.dealer.number]["total_url"]
    assert 'data-testid="rollup"' in whole.content.decode()
    assert 'data-testid="subtree-switch"' in alone.content.decode()


def test_lists_with_the_subtree(tree, catalog, login):
    licenses_sell(
        actor=tree.distributor_operator,
        licenses=[catalog["licenses"]["unused"]],
        to=tree.dealer,
        now=factories.NOW,
    )
    client = login(tree.distributor_admin)

    own = client.get(reverse("web:licenses"))
    whole = client.get(reverse("web:licenses"), {"subtree": "true"})

    assert "L0001" not in [lic.card for lic, _ in own.context["rows"]]
    assert "L0001" in [lic.card for lic, _ in whole.context["rows"]]
    assert whole.context["can_sell"] is False  # sell acts on own licenses only
    html = whole.content.decode()
    assert '<input type="hidden" name="subtree" value="true">' in html
    assert reverse("web:license_export") in html
    for page in ("web:devices", "web:transfers", "web:deductions"):
        assert client.get(reverse(page), {"subtree": "true"}).status_code == 200


def test_sales_records_filter_by_counterpart(tree, catalog, login):
    licenses_sell(
        actor=tree.distributor_operator,
        licenses=[catalog["licenses"]["unused"]],
        to=tree.dealer,
        now=factories.NOW,
    )
    client = login(tree.distributor_admin)
    url = reverse("web:transfers")

    dealer = client.get(url, {"counterpart": tree.dealer.number, "view": "licenses"})
    fleet = client.get(url, {"counterpart": tree.fleet.number, "view": "licenses"})

    assert [t.license.card for t in dealer.context["page_obj"].object_list] == ["L0001"]
    assert list(fleet.context["page_obj"].object_list) == []
    assert tree.dealer.number in [n for n, _ in dealer.context["counterparts"]]


def test_header_search_finds_cards_devices_and_customers(tree, catalog, login):
    client = login(tree.distributor_admin)

    by_suffix = client.get(reverse("web:search"), {"q": "0001"})
    by_name = client.get(reverse("web:search"), {"q": "Dealer"})
    too_long = client.get(reverse("web:search"), {"q": "x" * 65})

    found = by_suffix.context["found"]
    assert [d.number for d in found.devices] == ["860000000000001"]
    assert [c.number for c in by_name.context["found"].customers] == [tree.dealer.number]
    assert too_long.context["error"]
    assert 'role="search"' in client.get(reverse("web:home")).content.decode()


def test_consumption_chart_and_forecast(tree, catalog, login):
    device_charge(device=catalog["device"], now=factories.NOW, trigger="report")
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:consumption"))

    assert response.status_code == 200
    assert len(response.context["chart"].bars) == 90
    html = response.content.decode()
    assert 'data-testid="consumption-chart"' in html
    assert 'data-testid="forecast"' in html
