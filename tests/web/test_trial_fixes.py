"""What the trial of the console found (issue 10, fixes 2-12), as a user would notice it."""

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from daypass.demo.logins import demo_sample_logins, sample_usernames
from daypass.devices.models import Device
from daypass.licenses.models import License
from tests import factories


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_binding_to_a_sub_customers_device_says_the_license_now_belongs_to_it(tree, catalog, login):
    fleet_device = factories.make_device(
        customer=tree.dealer, model=catalog["mx"], number="860000000000077"
    )
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:license_bind", args=["L0001"]),
        {"confirmed": "1", "device": fleet_device.number, "next": "/licenses/?card=L0001"},
        follow=True,
    )

    assert messages_of(response) == [
        f"License L0001 is bound to device 860000000000077 and now belongs to Dealer "
        f"({tree.dealer.number}), the device's owner, so it has left this list."
    ]
    assert License.objects.get(card="L0001").customer == tree.dealer


def test_binding_to_an_own_device_says_only_bound(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:license_bind", args=["L0001"]),
        {"confirmed": "1", "device": "860000000000001"},
        follow=True,
    )

    assert messages_of(response) == ["License L0001 is bound to device 860000000000001."]


def test_unbind_and_return_messages_name_the_device_and_the_parent(tree, catalog, login):
    client = login(tree.distributor_operator)

    unbound = client.post(
        reverse("web:license_unbind", args=["L0004"]), {"confirmed": "1"}, follow=True
    )
    returned = client.post(
        reverse("web:licenses_return"),
        {"confirmed": "1", "cards": ["L0001", "L0002"]},
        follow=True,
    )

    assert messages_of(unbound) == ["License L0004 is unbound from device 860000000000001."]
    assert messages_of(returned) == ["Returned 2 licenses to Platform."]


def test_a_device_transfer_to_its_current_owner_is_refused_with_a_message(tree, catalog, login):
    client = login(tree.distributor_operator)

    response = client.post(
        reverse("web:device_transfer"),
        {"confirmed": "1", "devices": ["860000000000001"], "to": tree.distributor.number},
        follow=True,
    )

    assert messages_of(response) == [
        "The device already belongs to Distributor: nothing was moved."
    ]
    assert Device.objects.get(number="860000000000001").customer == tree.distributor


def test_the_transfer_and_sell_dialogs_have_no_default_target(tree, catalog, login):
    client = login(tree.distributor_operator)

    devices = client.get(reverse("web:devices")).content.decode()
    licenses = client.get(reverse("web:licenses")).content.decode()

    for html in (devices, licenses):
        assert '<option value="" selected disabled>Choose a customer</option>' in html


def test_a_reversed_range_says_so_and_is_not_applied(tree, catalog, login):
    client = login(tree.distributor_admin)

    days = client.get(reverse("web:licenses"), {"days_min": "20", "days_max": "5"})
    dates = client.get(
        reverse("web:transfers"), {"date_from": "2026-12-31", "date_to": "2026-01-01"}
    )
    table_only = client.get(
        reverse("web:licenses"), {"days_min": "20", "days_max": "5"}, HTTP_HX_REQUEST="true"
    )

    assert "The range is reversed: the first number is larger than the second." in (
        days.content.decode()
    )
    assert len(days.context["rows"]) == 6  # not silently empty: every license is listed
    assert "The range is reversed: the first date is after the second." in (dates.content.decode())
    # A filter change swaps only the table: the table says it too.
    assert "The Available days range is reversed" in table_only.content.decode()


def test_reason_codes_are_shown_by_their_labels_in_english_and_chinese(tree, catalog, login):
    device = catalog["other_model_device"]
    Device.objects.filter(pk=device.pk).update(
        blacklisted=True, blacklisted_at=factories.NOW, blacklist_reason="no_valid_license"
    )
    client = login(tree.distributor_admin)

    english = client.get(reverse("web:devices")).content.decode()
    client.post(reverse("web:set_language"), {"language": "zh-hans", "next": "/"})
    chinese = client.get(reverse("web:devices")).content.decode()

    assert "No valid license" in english
    assert "无有效许可证" in chinese
    assert "no_valid_license" not in english + chinese


def test_every_page_links_a_favicon_and_favicon_ico_leads_to_it(tree, login):
    client = login(tree.distributor_admin)

    page = client.get(reverse("web:home")).content.decode()
    login_page = Client().get(reverse("web:login")).content.decode()
    icon = Client().get("/favicon.ico")

    assert 'rel="icon" href="/static/web/favicon.svg"' in page
    assert 'rel="icon" href="/static/web/favicon.svg"' in login_page
    assert icon.status_code == 301 and icon["Location"] == "/static/web/favicon.svg"


def test_the_login_page_lists_no_sample_logins_outside_the_demo(tree):
    response = Client().get(reverse("web:login"))

    assert response.context["sample_logins"] == []
    assert 'data-testid="sample-logins"' not in response.content.decode()


def test_the_login_page_lists_a_sample_login_per_level_and_role_in_the_demo(db):
    platform = factories.make_customer(name="Meridian Telematics")
    distributor = factories.make_customer(parent=platform, name="Northwind Distribution")
    dealer = factories.make_customer(parent=distributor, name="Harbor Fleet Solutions")
    fleet = factories.make_customer(parent=dealer, name="Bayside Taxi")
    customers = {"platform": platform, "distributor": distributor, "dealer": dealer}
    customers["fleet"] = fleet
    for level, role, username in sample_usernames():
        factories.make_account(customers[level], role, username)

    response = Client().get(reverse("web:login"))

    html = response.content.decode()
    assert [(s.level, s.role, s.username) for s in response.context["sample_logins"]] == [
        ("platform", "admin", "admin"),
        ("platform", "operator", "platform-operator"),
        ("platform", "viewer", "platform-viewer"),
        ("distributor", "admin", "northwind-admin"),
        ("distributor", "operator", "northwind-operator"),
        ("distributor", "viewer", "northwind-viewer"),
        ("dealer", "admin", "harbor-admin"),
        ("dealer", "operator", "harbor-operator"),
        ("dealer", "viewer", "harbor-viewer"),
        ("fleet", "admin", "bayside-admin"),
        ("fleet", "operator", "bayside-operator"),
        ("fleet", "viewer", "bayside-viewer"),
    ]
    assert 'data-testid="sample-logins"' in html
    assert "daypass-demo" in html and "bayside-viewer" in html and "Bayside Taxi" in html


def test_the_demo_prints_the_sample_logins_table(db, capsys):
    call_command("demo", scale=0.05)

    out = capsys.readouterr().out
    logins = demo_sample_logins()
    assert len(logins) == 12
    for login in logins:
        assert any(
            line.split()[:3] == [login.level, login.role, login.username]
            for line in out.splitlines()
        ), login
