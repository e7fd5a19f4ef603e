"""The device page: its licenses, deductions, refusals and transfers; bind from a picker."""

from django.urls import reverse

from daypass.billing.deduction import device_charge
from daypass.devices.models import Device
from daypass.licenses.models import License
from tests import factories


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_device_page_shows_its_licenses_and_deductions(tree, catalog, login):
    device = catalog["device"]
    device_charge(device=device, now=factories.NOW, trigger="report")
    client = login(tree.distributor_viewer)

    response = client.get(reverse("web:device", args=[device.number]))

    html = response.content.decode()
    assert response.status_code == 200
    assert [lic.card for lic, _ in response.context["bound"]] == ["L0004"]
    assert len(response.context["deductions"]) == 1
    assert "Your role may not bind licenses." in html


def test_a_device_outside_the_subtree_is_not_found(tree, catalog, login):
    response = login(tree.dealer_admin).get(reverse("web:device", args=["860000000000001"]))

    assert response.status_code == 404


def test_the_picker_offers_only_licenses_that_fit_the_device(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.get(reverse("web:device", args=["860000000000001"]))  # model MX-C6

    # ADAS-365 fits MX-C6; L0004 is bound, L0006 locked; DASH-30 fits only DV-200.
    assert [lic.card for lic in response.context["fitting"]] == ["L0001", "L0002"]


def test_bind_from_the_picker(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:device_bind", args=["860000000000001"]), {"card": "L0002"}, follow=True
    )

    assert messages_of(response) == ["License L0002 is bound to device 860000000000001."]
    assert License.objects.get(card="L0002").device.number == "860000000000001"


def test_bind_to_a_sub_customers_device_says_it_now_belongs_to_it(tree, catalog, login):
    device = factories.make_device(customer=tree.fleet, model=catalog["mx"], number="8600000000099")
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:device_bind", args=[device.number]), {"card": "L0001"}, follow=True
    )

    assert messages_of(response) == [
        f"License L0001 is bound to device 8600000000099 and now belongs to Fleet "
        f"({tree.fleet.number}), the device's owner."
    ]


def test_bind_without_a_choice_or_of_the_wrong_model_says_so(tree, catalog, login):
    client = login(tree.distributor_operator)
    url = reverse("web:device_bind", args=["860000000000001"])

    empty = client.post(url, {"card": ""}, follow=True)
    wrong = client.post(url, {"card": "L0003"}, follow=True)  # DASH-30 does not fit MX-C6

    assert messages_of(empty) == ["Choose a license to bind."]
    assert "does not fit device model MX-C6" in messages_of(wrong)[0]
    assert License.objects.get(card="L0003").device is None


def test_the_devices_list_links_each_device_and_offers_bind(tree, catalog, login):
    html = login(tree.distributor_operator).get(reverse("web:devices")).content.decode()

    assert f'href="{reverse("web:device", args=["860000000000001"])}"' in html
    assert 'data-testid="bind-from-row"' in html


def test_a_blacklisted_device_offers_the_platform_to_clear_it(tree, catalog, login):
    device = catalog["device"]
    Device.objects.filter(pk=device.pk).update(
        blacklisted=True, blacklisted_at=factories.NOW, blacklist_reason="no_valid_license"
    )

    platform = login(tree.platform_admin).get(reverse("web:device", args=[device.number]))
    distributor = login(tree.distributor_admin).get(reverse("web:device", args=[device.number]))

    assert 'data-testid="clear-blacklist"' in platform.content.decode()
    assert 'data-testid="clear-blacklist"' not in distributor.content.decode()
    assert "No valid license" in distributor.content.decode()
