from django.urls import reverse

from daypass.licenses.models import License, Transfer
from tests import factories


def cards(response):
    return [lic.card for lic, _ in response.context["rows"]]


def test_filters_narrow_the_list(tree, catalog, login):
    client = login(tree.distributor_admin)
    url = reverse("web:licenses")

    assert cards(client.get(url, {"type": "DASH-30"})) == ["L0003", "L0005"]
    assert cards(client.get(url, {"status": "in_use"})) == ["L0004"]
    assert cards(client.get(url, {"locked": "true"})) == ["L0006"]
    assert cards(client.get(url, {"days_min": "1", "days_max": "29"})) == ["L0003", "L0004"]
    assert cards(client.get(url, {"device": "860000000000001"})) == ["L0004"]
    assert cards(client.get(url, {"card": "L0002"})) == ["L0002"]
    assert cards(client.get(url, {"activated_from": "2026-11-01"})) == ["L0004"]
    assert cards(client.get(url, {"activated_to": "2026-10-31"})) == []


def test_an_invalid_filter_shows_an_error_next_to_the_field_and_ignores_it(tree, catalog, login):
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:licenses"), {"days_min": "lots", "type": "DASH-30"})

    assert response.status_code == 200
    assert "Enter a whole number of days" in response.content.decode()
    assert cards(response) == ["L0003", "L0005"]


def test_htmx_request_gets_only_the_table(tree, catalog, login):
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:licenses"), {"status": "expired"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="license-table"')
    assert "<html" not in html
    assert "L0005" in html


def test_pagination_with_page_size(tree, catalog, login):
    for index in range(25):
        factories.make_license(
            customer=tree.distributor, type=catalog["adas"], card=f"P{index:04d}"
        )
    client = login(tree.distributor_admin)

    first = client.get(reverse("web:licenses"), {"page_size": "20"})
    second = client.get(reverse("web:licenses"), {"page_size": "20", "page": "2"})

    assert len(cards(first)) == 20
    assert len(cards(second)) == 11
    assert "Page 2 of 2" in second.content.decode()


def test_row_actions_follow_state_and_permission(tree, catalog, login):
    client = login(tree.distributor_operator)

    actions = dict(client.get(reverse("web:licenses")).context["rows"])
    by_card = {lic.card: acts for lic, acts in actions.items()}

    assert by_card["L0001"] == {"lock": True, "unlock": False, "bind": True, "unbind": False}
    assert by_card["L0004"] == {"lock": False, "unlock": False, "bind": False, "unbind": True}
    assert by_card["L0005"] == {"lock": False, "unlock": False, "bind": False, "unbind": False}
    assert by_card["L0006"] == {"lock": False, "unlock": True, "bind": False, "unbind": False}


def test_a_viewer_is_offered_no_actions(tree, catalog, login):
    client = login(tree.distributor_viewer)

    response = client.get(reverse("web:licenses"))

    assert all(not any(acts.values()) for _, acts in response.context["rows"])
    assert not response.context["can_sell"] and not response.context["can_return"]
    assert 'data-dialog="lock-dialog"' not in response.content.decode()


def test_a_sub_customer_without_consent_shows_the_notice_and_no_actions(tree, catalog, login):
    factories.make_license(customer=tree.dealer, type=catalog["adas"], card="D0001")
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:licenses"), {"customer": tree.dealer.number})

    html = response.content.decode()
    assert "This customer has not allowed superior management of its licenses." in html
    assert all(not any(acts.values()) for _, acts in response.context["rows"])
    assert not response.context["can_sell"] and not response.context["can_return"]


def test_a_sub_customer_with_consent_offers_bind_unbind_and_return_to_an_admin(
    tree, catalog, login
):
    tree.dealer.allow_superior_manage_licenses = True
    tree.dealer.save()
    factories.make_license(customer=tree.dealer, type=catalog["adas"], card="D0001")
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:licenses"), {"customer": tree.dealer.number})

    ((_, acts),) = response.context["rows"]
    assert acts == {"lock": False, "unlock": False, "bind": True, "unbind": False}
    assert response.context["can_return"] and not response.context["can_sell"]
    assert "superior-notice" not in response.content.decode()


def test_lock_then_unlock(tree, catalog, login):
    client = login(tree.distributor_operator)
    back = reverse("web:licenses") + "?status=unused"

    locked = client.post(
        reverse("web:license_lock", args=["L0001"]), {"confirmed": "1", "next": back}
    )
    assert locked.status_code == 302 and locked["Location"] == back
    assert License.objects.get(card="L0001").locked

    client.post(reverse("web:license_unlock", args=["L0001"]), {"next": back})
    assert not License.objects.get(card="L0001").locked


def test_lock_without_confirmation_shows_a_confirmation_page(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(reverse("web:license_lock", args=["L0001"]))

    assert response.status_code == 200
    assert "A locked license cannot be sold, returned or bound." in response.content.decode()
    assert not License.objects.get(card="L0001").locked


def test_a_service_error_is_a_message_not_a_crash(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:license_lock", args=["L0004"]), {"confirmed": "1"}, follow=True
    )

    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and "L0004" in messages[0]
    assert not License.objects.get(card="L0004").locked


def test_bind_to_a_device_of_the_wrong_model_says_so(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:license_bind", args=["L0001"]),
        {"confirmed": "1", "device": "860000000000002"},
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["License type ADAS-365 does not fit device model DV-200."]
    assert License.objects.get(card="L0001").device is None


def test_bind_and_unbind(tree, catalog, login):
    client = login(tree.distributor_operator)

    client.post(
        reverse("web:license_bind", args=["L0001"]),
        {"confirmed": "1", "device": "860000000000001"},
    )
    assert License.objects.get(card="L0001").device == catalog["device"]

    client.post(reverse("web:license_unbind", args=["L0001"]), {"confirmed": "1"})
    assert License.objects.get(card="L0001").device is None


def test_bind_to_an_unknown_device_is_a_message(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:license_bind", args=["L0001"]),
        {"confirmed": "1", "device": "nope"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["Device nope not found."]


def test_batch_select_checks_the_oldest_eligible_licenses(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.get(reverse("web:licenses"), {"batch": "1", "batch_quantity": "2"})

    assert response.context["selected_cards"] == {"L0001", "L0002"}
    html = response.content.decode()
    assert "2 licenses selected" in html
    assert html.count("checked") >= 2


def test_batch_select_of_too_many_says_so(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.get(reverse("web:licenses"), {"batch": "1", "batch_quantity": "50"})

    assert response.context["batch_error"] == "Only 3 licenses can be chosen, 50 were asked for."


def test_sell_to_a_child_after_confirming(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:licenses_sell"),
        {"confirmed": "1", "cards": ["L0001", "L0002"], "to": tree.dealer.number},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["Sold 2 licenses to Dealer."]
    assert set(License.objects.filter(customer=tree.dealer).values_list("card", flat=True)) == {
        "L0001",
        "L0002",
    }
    assert Transfer.objects.filter(method="sell").count() == 2


def test_sell_without_confirmation_asks_for_the_child(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(reverse("web:licenses_sell"), {"cards": ["L0001"]})

    assert response.status_code == 200
    assert response.context["children"] == [tree.dealer]
    assert License.objects.get(card="L0001").customer == tree.distributor


def test_return_to_the_parent(tree, catalog, login):
    client = login(tree.distributor_operator)

    client.post(reverse("web:licenses_return"), {"confirmed": "1", "cards": ["L0001"]})

    assert License.objects.get(card="L0001").customer == tree.platform


def test_actions_on_a_license_outside_the_subtree_are_not_found(tree, catalog, login):
    factories.make_license(customer=tree.sibling, type=catalog["adas"], card="S0001")
    client = login(tree.distributor_admin)

    for name in (
        "web:license_lock",
        "web:license_unlock",
        "web:license_bind",
        "web:license_unbind",
    ):
        response = client.post(reverse(name, args=["S0001"]), {"confirmed": "1", "device": "x"})
        assert response.status_code == 404
    sell = client.post(
        reverse("web:licenses_sell"),
        {"confirmed": "1", "cards": ["S0001"], "to": tree.dealer.number},
    )
    assert sell.status_code == 404
    assert License.objects.get(card="S0001").customer == tree.sibling


def test_actions_need_post_and_csrf(tree, catalog, login):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(tree.distributor_operator)

    assert client.get(reverse("web:license_lock", args=["L0001"])).status_code == 405
    response = client.post(reverse("web:license_lock", args=["L0001"]), {"confirmed": "1"})
    assert response.status_code == 403
    assert not License.objects.get(card="L0001").locked


def test_after_selling_a_batch_the_list_does_not_select_the_next_batch(tree, catalog, login):
    client = login(tree.distributor_operator)
    came_from = reverse("web:licenses") + "?type=ADAS-365&batch=1&batch_quantity=2"

    response = client.post(
        reverse("web:licenses_sell"),
        {
            "confirmed": "1",
            "cards": ["L0001", "L0002"],
            "to": tree.dealer.number,
            "next": came_from,
        },
    )

    assert response["Location"] == reverse("web:licenses") + "?type=ADAS-365"


def test_sort_by_available_days_and_back(tree, catalog, login):
    client = login(tree.distributor_admin)

    ascending = client.get(reverse("web:licenses"), {"order": "available_days"})
    descending = client.get(reverse("web:licenses"), {"order": "-available_days"})

    assert cards(ascending)[:3] == ["L0005", "L0003", "L0004"]
    assert cards(descending)[-1] == "L0005"
    assert 'aria-sort="ascending"' in ascending.content.decode()
    assert "order=-available_days" in ascending.content.decode()
