"""Top up the selected licenses from the details list (platform admin), all or nothing."""

from django.urls import reverse

from daypass.licenses.models import License, TopUp


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_platform_tops_up_selected_licenses_of_a_customer(tree, catalog, login):
    client = login(tree.platform_admin)
    page = client.get(reverse("web:licenses"), {"customer": tree.distributor.number})

    response = client.post(
        reverse("web:licenses_top_up"),
        {
            "customer": tree.distributor.number,
            "cards": ["L0003", "L0005"],
            "days": "30",
            "confirmed": "1",
        },
        follow=True,
    )

    assert 'data-testid="top-up"' in page.content.decode()
    assert messages_of(response) == ["Added 30 days to 2 licenses of Distributor."]
    assert License.objects.get(card="L0005").available_days == 30
    assert TopUp.objects.count() == 2


def test_only_the_platform_is_offered_top_up_and_may_do_it(tree, catalog, login):
    client = login(tree.distributor_admin)

    page = client.get(reverse("web:licenses"))
    response = client.post(
        reverse("web:licenses_top_up"),
        {"customer": tree.distributor.number, "cards": ["L0003"], "days": "30"},
        follow=True,
    )

    assert 'data-testid="top-up"' not in page.content.decode()
    assert messages_of(response)[0].startswith("Only the platform")
    assert License.objects.get(card="L0003").available_days == 5


def test_days_out_of_range_change_nothing(tree, catalog, login):
    client = login(tree.platform_admin)

    response = client.post(
        reverse("web:licenses_top_up"),
        {"customer": tree.distributor.number, "cards": ["L0003", "L0005"], "days": "0"},
        follow=True,
    )

    assert messages_of(response)
    assert License.objects.get(card="L0003").available_days == 5
    assert not TopUp.objects.exists()
