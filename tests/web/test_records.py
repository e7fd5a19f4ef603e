from datetime import timedelta

from django.urls import reverse

from daypass.billing.models import Deduction
from daypass.licenses.services import licenses_sell
from tests import factories


def sell_two(tree, catalog):
    return licenses_sell(
        actor=tree.distributor_operator,
        licenses=[catalog["licenses"]["unused"], catalog["licenses"]["unused2"]],
        to=tree.dealer,
        now=factories.NOW,
    )


def test_sales_records_list_and_filter(tree, catalog, login):
    sell_two(tree, catalog)
    client = login(tree.distributor_admin)

    url = reverse("web:transfers")
    everything = client.get(url, {"view": "licenses"})
    by_card = client.get(url, {"card": "L0002", "view": "licenses"})
    by_method = client.get(url, {"method": "return", "view": "licenses"})
    by_date = client.get(url, {"date_from": "2026-11-02", "view": "licenses"})

    assert len(everything.context["page_obj"].object_list) == 2
    assert [t.license.card for t in by_card.context["page_obj"].object_list] == ["L0002"]
    assert list(by_method.context["page_obj"].object_list) == []
    assert list(by_date.context["page_obj"].object_list) == []
    assert "Sell" in everything.content.decode()


def test_sales_records_export_csv(tree, catalog, login):
    result = sell_two(tree, catalog)
    client = login(tree.dealer_admin)

    response = client.get(reverse("web:transfers"), {"format": "csv", "card": "L0001"})

    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "at,card,type,from,to,method,batch,account"
    assert lines[1:] == [
        f"2026-11-01T12:00:00+00:00,L0001,ADAS-365,{tree.distributor.number},"
        f"{tree.dealer.number},sell,{result.batch},{tree.distributor_operator.username}"
    ]


def test_sales_records_of_a_customer_outside_the_subtree_are_not_found(tree, login):
    client = login(tree.dealer_admin)

    response = client.get(reverse("web:transfers"), {"customer": tree.sibling.number})

    assert response.status_code == 404


def make_deduction(license, device, customer, *, result="success", at=None):
    at = at or factories.NOW
    return Deduction.objects.create(
        at=at,
        device=device,
        license=license if result == "success" else None,
        customer=customer,
        days=1 if result == "success" else 0,
        available_days_after=license.available_days if result == "success" else None,
        window_start=at,
        window_end=at + timedelta(hours=24) if result == "success" else None,
        trigger="sweep",
        result=result,
        reason="" if result == "success" else "no_valid_license",
    )


def test_deduction_records_list_filter_and_csv(tree, catalog, login):
    license = catalog["licenses"]["in_use"]
    device = catalog["device"]
    make_deduction(license, device, tree.distributor)
    make_deduction(
        license, device, tree.distributor, result="failed", at=factories.NOW + timedelta(days=1)
    )
    client = login(tree.distributor_admin)

    everything = client.get(reverse("web:deductions"))
    failed = client.get(reverse("web:deductions"), {"result": "failed"})
    by_card = client.get(reverse("web:deductions"), {"card": "L0004"})
    csv = client.get(reverse("web:deductions"), {"format": "csv"})

    assert len(everything.context["page_obj"].object_list) == 2
    assert [d.result for d in failed.context["page_obj"].object_list] == ["failed"]
    assert [d.license.card for d in by_card.context["page_obj"].object_list] == ["L0004"]
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("id,at,device,card,customer,days")


def test_deduction_records_row_link_from_license_details(tree, catalog, login):
    client = login(tree.distributor_admin)

    html = client.get(reverse("web:licenses")).content.decode()

    assert f"{reverse('web:deductions')}?customer={tree.distributor.number}&amp;card=L0004" in html


def test_a_sub_customers_account_cannot_put_a_formula_in_a_superiors_csv(tree, catalog, login):
    # Issue 8: a username, a card or a device number that a spreadsheet would run as a formula
    # reaches the superior's export as text.
    from daypass.licenses.services import licenses_return

    dealer_op = factories.make_account(tree.dealer, "operator", username="-2+5")
    license = factories.make_license(
        customer=tree.dealer, type=catalog["licenses"]["unused"].type, card="@SUM(A1)"
    )
    licenses_return(actor=dealer_op, licenses=[license], now=factories.NOW)
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:transfers"), {"format": "csv"})

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1].split(",")[1] == "'@SUM(A1)"
    assert lines[1].split(",")[-1] == "'-2+5"


def test_sales_records_show_one_row_per_batch_by_default(tree, catalog, login):
    result = sell_two(tree, catalog)
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:transfers"))

    (row,) = response.context["page_obj"].object_list
    assert (row["batch"], row["count"], row["method"]) == (result.batch, 2, "sell")
    assert (row["from_customer"], row["to_customer"]) == (tree.distributor, tree.dealer)
    assert row["cards"] == ["L0001", "L0002"]
    html = response.content.decode()
    assert f"batch={result.batch}" in html  # the batch id links to its licenses


def test_a_batch_link_lists_its_licenses(tree, catalog, login):
    result = sell_two(tree, catalog)
    licenses_sell(
        actor=tree.distributor_operator,
        licenses=[catalog["licenses"]["low"]],
        to=tree.dealer,
        now=factories.NOW,
    )
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:transfers"), {"batch": str(result.batch)})
    nonsense = client.get(reverse("web:transfers"), {"batch": "not-a-batch"})

    assert sorted(t.license.card for t in response.context["page_obj"].object_list) == [
        "L0001",
        "L0002",
    ]
    assert list(nonsense.context["page_obj"].object_list) == []


def test_batches_follow_the_filters(tree, catalog, login):
    sell_two(tree, catalog)
    client = login(tree.distributor_admin)

    by_card = client.get(reverse("web:transfers"), {"card": "L0002"})
    by_method = client.get(reverse("web:transfers"), {"method": "return"})

    assert [row["count"] for row in by_card.context["page_obj"].object_list] == [1]
    assert list(by_method.context["page_obj"].object_list) == []


def test_each_batch_shows_its_first_cards_in_card_order(tree, login):
    """Two batches on one page, one larger than the preview: each row its own first cards."""
    from daypass.licenses.batch_records import BATCH_PREVIEW_CARDS

    kind = factories.make_license_type()
    big = [
        factories.make_license(customer=tree.distributor, type=kind, card=f"B{i:03d}")
        for i in reversed(range(BATCH_PREVIEW_CARDS + 5))
    ]
    small = [
        factories.make_license(customer=tree.distributor, type=kind, card=f"A{i}") for i in (2, 1)
    ]
    first = licenses_sell(
        actor=tree.distributor_admin, licenses=big, to=tree.dealer, now=factories.NOW
    )
    second = licenses_sell(
        actor=tree.distributor_admin,
        licenses=small,
        to=tree.dealer,
        now=factories.NOW + timedelta(minutes=1),
    )
    client = login(tree.distributor_admin)

    rows = client.get(reverse("web:transfers")).context["page_obj"].object_list

    assert [(row["batch"], row["count"]) for row in rows] == [
        (second.batch, 2),
        (first.batch, BATCH_PREVIEW_CARDS + 5),
    ]
    assert rows[0]["cards"] == ["A1", "A2"]
    assert rows[1]["cards"] == [f"B{i:03d}" for i in range(BATCH_PREVIEW_CARDS)]
