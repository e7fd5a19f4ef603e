from datetime import timedelta

from django.urls import reverse

from daypass.devices.models import Device
from daypass.licenses.models import License, Transfer
from daypass.web.service_projection import projected_service_end
from tests import factories


def test_devices_page_shows_service_blacklist_and_bound_licenses(tree, catalog, login):
    device = catalog["device"]
    device.blacklisted = True
    device.blacklisted_at = factories.NOW
    device.blacklist_reason = "no_valid_license"
    device.save()
    client = login(tree.distributor_admin)

    response = client.get(reverse("web:devices"))

    html = response.content.decode()
    assert "860000000000001" in html and "860000000000002" in html
    # The reason is shown by its label, never as the raw code.
    assert "(No valid license)" in html
    assert "no_valid_license" not in html
    assert "L0004" in html


def test_devices_page_shows_refusals_and_filters_recently_refused(tree, catalog, login):
    from django.utils import timezone

    device = catalog["device"]
    device.last_refused_at = timezone.now() - timedelta(hours=1)
    device.refused_reports = 7
    device.save()
    client = login(tree.distributor_admin)

    html = client.get(reverse("web:devices")).content.decode()
    assert "7 refused reports" in html
    recent = client.get(reverse("web:devices"), {"refused_within_days": "1"}).content.decode()
    assert device.number in recent
    assert "860000000000002" not in recent


def test_projected_end_adds_a_period_per_chargeable_charge(tree, catalog):
    weekly = factories.make_license_type(
        code="WEEK", days=28, models=[catalog["mx"]], charge_days=7, period_hours=168
    )
    device = catalog["device"]  # L0004 bound: 20 days of ADAS-365 (1 day / 24 h)
    factories.make_license(
        customer=tree.distributor,
        type=weekly,
        device=device,
        bound_at=factories.NOW,
        available_days=20,
        total_days=28,
    )  # 20 // 7 = 2 weekly charges
    factories.make_license(
        customer=tree.distributor,
        type=weekly,
        device=device,
        bound_at=factories.NOW,
        available_days=6,
        total_days=28,
    )  # fewer than charge_days: pays nothing
    device.service_until = factories.NOW + timedelta(hours=10)
    device.save()
    device = Device.objects.prefetch_related("licenses__type").get(pk=device.pk)

    end = projected_service_end(device, now=factories.NOW)

    assert end == factories.NOW + timedelta(hours=10 + 20 * 24 + 2 * 168)


def test_projected_end_starts_now_when_paid_time_is_over_and_stops_when_blacklisted(tree, catalog):
    device = Device.objects.prefetch_related("licenses__type").get(pk=catalog["device"].pk)
    assert projected_service_end(device, now=factories.NOW) == factories.NOW + timedelta(days=20)

    device.blacklisted = True
    assert projected_service_end(device, now=factories.NOW) is None


def test_device_transfer_moves_the_device_and_its_licenses(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:device_transfer"),
        {"devices": ["860000000000001"], "to": tree.fleet.number, "confirmed": "1"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["Moved 1 device to Fleet."]
    assert Device.objects.get(number="860000000000001").customer == tree.fleet
    assert License.objects.get(card="L0004").customer == tree.fleet
    assert Transfer.objects.get(license__card="L0004").method == "device"


def test_device_transfer_outside_the_subtree_is_not_found(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:device_transfer"),
        {"devices": ["860000000000001"], "to": tree.sibling.number, "confirmed": "1"},
    )

    assert response.status_code == 404
    assert Device.objects.get(number="860000000000001").customer == tree.distributor


def test_a_viewer_cannot_transfer_devices(tree, catalog, login):
    client = login(tree.distributor_viewer)

    page = client.get(reverse("web:devices"))
    response = client.post(
        reverse("web:device_transfer"),
        {"devices": ["860000000000001"], "to": tree.dealer.number, "confirmed": "1"},
        follow=True,
    )

    assert not page.context["can_transfer"]
    assert [str(m) for m in response.context["messages"]] == ["Your role may not move devices."]
    assert Device.objects.get(number="860000000000001").customer == tree.distributor


def test_device_transfer_without_confirmation_asks_on_a_page(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(reverse("web:device_transfer"), {"devices": ["860000000000001"]})

    assert response.status_code == 200
    assert "Move 1 device to the customer below?" in response.content.decode()
    assert [t.number for t in response.context["transfer_targets"]] == [
        tree.distributor.number,
        tree.dealer.number,
        tree.fleet.number,
    ]
    assert Device.objects.get(number="860000000000001").customer == tree.distributor
