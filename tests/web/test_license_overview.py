from urllib.parse import parse_qs, urlparse

from django.urls import reverse

from tests import factories


def test_overview_shows_running_low_counts_linking_to_filtered_details(tree, catalog, login):
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:home"))

    assert response.context["stats"]["below_30_days"] == 2  # L0003 (5 days), L0004 (20 days)
    assert response.context["stats"]["below_7_days"] == 1  # L0003
    below_7 = parse_qs(urlparse(response.context["below_7_url"]).query)
    assert below_7 == {
        "customer": [tree.distributor.number],
        "days_min": ["1"],
        "days_max": ["6"],
        "order": ["available_days"],  # sorted by days left, fewest first
    }
    listed = client.get(response.context["below_7_url"])
    assert [lic.card for lic, _ in listed.context["rows"]] == ["L0003"]


def test_running_low_lists_sort_by_days_left(tree, catalog, login):
    kind = catalog["licenses"]["unused"].type
    factories.make_license(customer=tree.distributor, type=kind, card="L0009", available_days=2)
    client = login(tree.distributor_admin)

    below_30_url = client.get(reverse("web:home")).context["below_30_url"]
    listed = client.get(below_30_url)

    # L0009 (2 days), L0003 (5 days), L0004 (20 days): by days left, not by card
    assert [lic.card for lic, _ in listed.context["rows"]] == ["L0009", "L0003", "L0004"]


def test_pies_count_licenses_by_type_and_status_with_links(tree, catalog, login):
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:home"))

    by_type = {s.key: (s.count, round(s.percent, 1)) for s in response.context["type_pie"].slices}
    assert by_type == {"ADAS-365": (4, 66.7), "DASH-30": (2, 33.3)}
    by_status = {s.key: s.count for s in response.context["status_pie"].slices}
    # unused: L0001, L0002, L0003 (5 days left) and L0006 (locked); in use: L0004.
    assert by_status == {"unused": 4, "inactive": 0, "in_use": 1, "deactivated": 0, "expired": 1}
    html = response.content.decode()
    for pie_slice in response.context["status_pie"].slices:
        if pie_slice.count:
            assert f'href="{pie_slice.url}"'.replace("&", "&amp;") in html


def test_a_pie_slice_link_lists_exactly_that_slice(tree, catalog, login):
    client = login(tree.distributor_admin)
    overview = client.get(reverse("web:home"))
    expired = next(s for s in overview.context["status_pie"].slices if s.key == "expired")

    listed = client.get(expired.url)

    assert [lic.card for lic, _ in listed.context["rows"]] == ["L0005"]


def test_summary_counts_each_status_per_license_code_and_filters_by_code(tree, catalog, login):
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:home"), {"type": "DASH-30"})

    rows = response.context["summary_rows"]
    assert [row["type"] for row in rows] == ["DASH-30"]
    assert rows[0]["expired"] == 1 and rows[0]["total"] == 2
    assert rows[0]["models"] == ["DV-200"]


def test_overview_of_a_customer_without_licenses_says_so(tree, login):
    client = login(tree.fleet_admin)

    response = client.get(reverse("web:home"))

    assert "No licenses yet." in response.content.decode()


def test_the_selected_customer_is_remembered_in_the_session(tree, catalog, login):
    factories.make_license(customer=tree.dealer, type=catalog["adas"], card="D0001")
    client = login(tree.distributor_admin)
    client.get(reverse("web:home"), {"customer": tree.dealer.number})

    response = client.get(reverse("web:licenses"))

    assert response.context["customer"] == tree.dealer
    assert [lic.card for lic, _ in response.context["rows"]] == ["D0001"]


def test_the_one_pass_overview_agrees_with_stats_and_summary(tree, catalog):
    from daypass.licenses.selectors import license_overview, license_stats, license_summary

    factories.make_license(
        customer=tree.distributor,
        type=catalog["dash"],
        device=catalog["other_model_device"],
        bound_at=factories.NOW,
    )  # inactive
    factories.make_license(
        customer=tree.distributor, type=catalog["adas"], activated_at=factories.NOW
    )  # deactivated
    actor = tree.distributor_viewer

    for type_code in (None, "ADAS-365", "NOPE"):
        overview = license_overview(actor, tree.distributor, type_code=type_code)
        assert overview["stats"] == license_stats(actor, tree.distributor)
        assert overview["summary"] == license_summary(actor, tree.distributor, type_code=type_code)
