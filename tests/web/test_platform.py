"""The platform operator's pages: issue, license types and device models, device registration,
clearing a blacklist by hand."""

import pytest
from django.urls import reverse

from daypass.devices.models import Device, DeviceModel
from daypass.licenses.models import License, LicenseType, Transfer
from tests import factories

PLATFORM_PAGES = ["web:platform_issue", "web:platform_catalog", "web:platform_devices"]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("page", PLATFORM_PAGES)
def test_platform_pages_are_the_platform_admins_only(page, tree, login):
    assert login(tree.platform_admin).get(reverse(page)).status_code == 200
    for account in (tree.distributor_admin, tree.dealer_operator):
        assert login(account).get(reverse(page)).status_code == 403


def test_the_platform_menu_shows_only_for_the_platform_admin(tree, login):
    platform = login(tree.platform_admin).get(reverse("web:home")).content.decode()
    distributor = login(tree.distributor_admin).get(reverse("web:home")).content.decode()

    assert reverse("web:platform_issue") in platform
    assert reverse("web:platform_issue") not in distributor


def test_issue_licenses_to_a_customer(tree, catalog, login):
    client = login(tree.platform_admin)

    response = client.post(
        reverse("web:platform_issue"),
        {"issue-type": "ADAS-365", "issue-quantity": "3", "issue-customer": tree.dealer.number},
        follow=True,
    )

    issued = License.objects.filter(customer=tree.dealer).order_by("card")
    assert issued.count() == 3
    assert messages_of(response) == [
        f"Issued 3 licenses of ADAS-365 to Dealer: {issued[0].card} to {issued[2].card}."
    ]
    assert Transfer.objects.filter(license__in=issued, method="sell").count() == 3


def test_issue_to_the_platform_stock(tree, catalog, login):
    client = login(tree.platform_admin)

    response = client.post(
        reverse("web:platform_issue"),
        {"issue-type": "DASH-30", "issue-quantity": "1", "issue-customer": ""},
        follow=True,
    )

    license = License.objects.get(customer=tree.platform)
    assert messages_of(response) == [f"Issued 1 license of DASH-30 to Platform: {license.card}."]


def test_issue_a_quantity_out_of_range_says_so_and_issues_nothing(tree, catalog, login):
    client = login(tree.platform_admin)

    response = client.post(
        reverse("web:platform_issue"),
        {"issue-type": "ADAS-365", "issue-quantity": "100001", "issue-customer": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["quantity"]
    assert not License.objects.filter(customer=tree.platform).exists()


def test_create_a_license_type_and_a_device_model(tree, catalog, login):
    client = login(tree.platform_admin)

    model = client.post(
        reverse("web:platform_catalog"),
        {"form": "model", "model-code": "GT-200", "model-name": "GT-200 tracker"},
        follow=True,
    )
    license_type = client.post(
        reverse("web:platform_catalog"),
        {
            "form": "type",
            "type-code": "TRACK-90",
            "type-name": "Tracking, 90 days",
            "type-days": "90",
            "type-models": ["GT-200", "MX-C6"],
            "type-charge_days": "1",
            "type-period_hours": "24",
        },
        follow=True,
    )

    assert messages_of(model) == ["Device model GT-200 is created."]
    assert messages_of(license_type) == ["License type TRACK-90 is created."]
    created = LicenseType.objects.get(code="TRACK-90")
    assert sorted(created.device_models.values_list("code", flat=True)) == ["GT-200", "MX-C6"]
    assert 'data-type="TRACK-90"' in license_type.content.decode()


def test_a_duplicate_license_type_is_an_error_next_to_its_code(tree, catalog, login):
    client = login(tree.platform_admin)

    response = client.post(
        reverse("web:platform_catalog"),
        {
            "form": "type",
            "type-code": "ADAS-365",
            "type-name": "again",
            "type-days": "365",
            "type-models": ["MX-C6"],
            "type-charge_days": "1",
            "type-period_hours": "24",
        },
    )

    assert response.context["type_form"].errors["code"] == ["License type ADAS-365 already exists."]
    assert DeviceModel.objects.count() == 2


def test_register_one_device(tree, catalog, login):
    client = login(tree.platform_admin)

    response = client.post(
        reverse("web:platform_devices"),
        {
            "form": "device",
            "device-number": "861234567890123",
            "device-model": "MX-C6",
            "device-customer": tree.fleet.number,
        },
        follow=True,
    )

    assert messages_of(response) == ["Device 861234567890123 (MX-C6) is registered for Fleet."]
    assert Device.objects.get(number="861234567890123").customer == tree.fleet


def test_clear_a_blacklist_by_hand_needs_a_reason(tree, catalog, login):
    device = catalog["device"]
    Device.objects.filter(pk=device.pk).update(
        blacklisted=True, blacklisted_at=factories.NOW, blacklist_reason="no_valid_license"
    )
    client = login(tree.platform_admin)
    url = reverse("web:device_clear_blacklist", args=[device.number])

    asked = client.post(url, {"confirmed": "1", "reason": ""})
    cleared = client.post(url, {"confirmed": "1", "reason": "paid by transfer"}, follow=True)

    assert asked.status_code == 200 and asked.context["form"].errors["reason"]
    assert messages_of(cleared) == [
        f"The blacklist of device {device.number} is cleared: it may report again."
    ]
    assert not Device.objects.get(pk=device.pk).blacklisted


def test_only_the_platform_clears_a_blacklist(tree, catalog, login):
    device = catalog["device"]
    Device.objects.filter(pk=device.pk).update(blacklisted=True, blacklisted_at=factories.NOW)

    response = login(tree.distributor_admin).post(
        reverse("web:device_clear_blacklist", args=[device.number]),
        {"confirmed": "1", "reason": "x"},
    )

    assert response.status_code == 403
    assert Device.objects.get(pk=device.pk).blacklisted
