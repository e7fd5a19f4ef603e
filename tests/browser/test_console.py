"""What a person sees in the console, in a real browser (screenshots go to docs/screenshots/)."""

import re

from daypass.licenses.models import License, Transfer
from daypass.licenses.selectors import license_stats
from tests.browser.conftest import log_in


def legend_counts(page, testid: str) -> dict[str, int]:
    counts = {}
    for row in page.locator(f"[data-testid={testid}] li").all():
        counts[row.get_attribute("data-key")] = int(row.locator("[data-count]").inner_text())
    return counts


def test_login_and_the_dashboard_match_the_data(page, shop, screenshot):
    page.goto(page.base_url + "/login/")
    screenshot(page, "01-login")
    log_in(page, "northwind-admin")
    stats = license_stats(shop.admin, shop.distributor)

    assert page.get_by_test_id("total").inner_text() == str(stats["total"])
    assert page.get_by_test_id("below-30").inner_text() == str(stats["below_30_days"])
    assert page.get_by_test_id("below-7").inner_text() == str(stats["below_7_days"])
    assert legend_counts(page, "pie-type-legend") == stats["by_type"]
    assert legend_counts(page, "pie-status-legend") == stats["by_status"]
    # One slice per non-zero count, each a link.
    assert page.locator("[data-testid=pie-status] a").count() == sum(
        1 for n in stats["by_status"].values() if n
    )
    screenshot(page, "02-license-management")


def test_a_pie_slice_leads_to_the_filtered_list(page, shop, screenshot):
    log_in(page, "northwind-admin")

    page.locator("[data-testid=pie-status] a[data-slice=expired]").click()

    page.wait_for_url(re.compile(r"/licenses/\?.*status=expired"))
    statuses = page.locator("[data-testid=licenses] tbody [data-testid=status]").all_inner_texts()
    assert statuses == ["Expired", "Expired"]


def test_running_low_number_leads_to_the_filtered_list(page, shop):
    log_in(page, "northwind-admin")

    page.get_by_test_id("below-7-link").click()

    page.wait_for_url(re.compile(r"days_max=6"))
    rows = page.locator("[data-testid=licenses] tbody tr")
    assert rows.count() == 2  # 5 and 3 days left


def test_filters_update_the_table_in_place_and_the_url(page, shop, screenshot):
    log_in(page, "northwind-admin")
    page.goto(page.base_url + "/licenses/")
    page.evaluate("window.fullLoadMarker = true")

    page.select_option("#f-status", "in_use")

    page.wait_for_url(re.compile(r"status=in_use"))
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=licenses] tbody tr').length === 2"
    )
    assert page.evaluate("window.fullLoadMarker") is True  # no page reload: htmx swapped the table
    assert page.locator("[data-testid=result-count]").inner_text() == "2 results"
    screenshot(page, "04-license-details-filtered")


def test_lock_and_unlock(page, shop, screenshot):
    log_in(page, "northwind-operator")
    page.goto(page.base_url + "/licenses/?status=unused&type=VIDEO-90")
    row = page.locator("tr[data-card]").first
    card = row.get_attribute("data-card")

    row.get_by_role("button", name="Lock").click()
    dialog = page.locator("#lock-dialog")
    assert card in dialog.inner_text()
    screenshot(page, "05-lock-confirmation")
    dialog.get_by_role("button", name="Lock").click()

    page.wait_for_selector(".messages .success")
    assert f"License {card} is locked." in page.locator(".messages").inner_text()
    assert License.objects.get(card=card).locked
    row = page.locator(f"tr[data-card='{card}']")
    assert row.locator(".badge.locked").inner_text() == "Locked"

    row.get_by_role("button", name="Unlock").click()
    page.wait_for_selector(".messages .success")
    assert f"License {card} is unlocked." in page.locator(".messages").inner_text()
    assert not License.objects.get(card=card).locked


def test_bind_with_a_wrong_model_shows_the_error_then_binds(page, shop, screenshot):
    log_in(page, "northwind-operator")
    card = shop.licenses(shop.adas)[0].card  # ADAS-365 fits MX-C6 only
    page.goto(page.base_url + f"/licenses/?card={card}")

    page.locator(f"tr[data-card='{card}']").get_by_role("button", name="Bind").click()
    page.fill("#bind-device", shop.trackers[0].number)
    screenshot(page, "06-bind-dialog")
    page.locator("#bind-dialog").get_by_role("button", name="Bind").click()

    error = page.locator(".messages .error")
    assert "does not fit device model GT-100" in error.inner_text()
    screenshot(page, "07-bind-wrong-model")
    assert License.objects.get(card=card).device is None

    page.locator(f"tr[data-card='{card}']").get_by_role("button", name="Bind").click()
    page.fill("#bind-device", shop.dashcams[3].number)
    page.locator("#bind-dialog").get_by_role("button", name="Bind").click()

    assert (
        f"is bound to device {shop.dashcams[3].number}"
        in page.locator(".messages .success").inner_text()
    )
    assert License.objects.get(card=card).device == shop.dashcams[3]


def test_batch_select_three_and_sell_them_to_a_child(page, shop, screenshot):
    log_in(page, "northwind-operator")
    page.goto(page.base_url + "/licenses/?type=ADAS-365")
    expected = [lic.card for lic in shop.licenses(shop.adas)[:3]]

    page.fill("#batch-quantity", "3")
    page.get_by_test_id("batch-select").click()

    page.wait_for_selector("[data-testid=batch-notice]")
    checked = page.locator("input[name=cards]:checked")
    assert [box.get_attribute("value") for box in checked.all()] == expected
    screenshot(page, "08-batch-select")

    page.get_by_role("button", name="Sell", exact=True).click()
    dialog = page.locator("#sell-dialog")
    assert "Selected licenses: 3." in dialog.inner_text()
    dialog.locator("select[name=to]").select_option(shop.dealer.number)
    screenshot(page, "09-sell-confirmation")
    dialog.get_by_role("button", name="Sell").click()

    assert (
        "Sold 3 licenses to Harbor Fleet Solutions."
        in page.locator(".messages .success").inner_text()
    )
    assert (
        sorted(License.objects.filter(card__in=expected).values_list("customer", flat=True))
        == [shop.dealer.pk] * 3
    )

    page.get_by_role("link", name="Sales records").click()
    page.wait_for_url(re.compile(r"/sales-records/"))
    # One row per batch: the sale is one row of 3, its id a link to its licenses.
    batch = Transfer.objects.get(license__card=expected[0], method="sell").batch
    row = page.locator(f"[data-testid=transfer-batches] tr[data-batch='{batch}']")
    assert row.get_by_test_id("batch-count").inner_text() == "3"
    row.locator("td.mono a").click()
    page.wait_for_url(re.compile(rf"batch={batch}"))
    listed = page.locator("[data-testid=transfers] tbody tr[data-card]")
    cards = [row.get_attribute("data-card") for row in listed.all()]
    assert sorted(cards) == expected
    assert Transfer.objects.filter(license__card__in=expected, method="sell").count() == 3
    screenshot(page, "10-sales-records")


def test_a_sub_customer_without_consent_offers_no_actions(page, shop, screenshot):
    log_in(page, "northwind-admin")

    page.locator("#customer-selector summary").click()
    page.fill("[data-customer-search]", "harbor")
    assert page.locator("#customer-selector li:visible").count() == 1
    screenshot(page, "11-customer-selector")
    page.locator("#customer-selector li:visible a").click()
    page.wait_for_url(re.compile(rf"customer={shop.dealer.number}"))
    page.get_by_role("link", name="License details").first.click()

    notice = page.get_by_test_id("superior-notice")
    assert notice.inner_text() == (
        "This customer has not allowed superior management of its licenses."
    )
    assert page.locator("[data-testid=licenses] tbody tr[data-card]").count() == 3
    assert page.locator("[data-testid=licenses] tbody button").count() == 0
    assert page.locator("input[name=cards]").count() == 0
    assert page.get_by_test_id("batch-select").count() == 0
    screenshot(page, "12-sub-customer-no-consent")


def test_switch_language_to_chinese(page, shop, screenshot):
    log_in(page, "northwind-admin")

    page.select_option("select[name=language]", "zh-hans")

    page.wait_for_selector("html[lang=zh-hans]")
    assert page.locator("h1").inner_text() == "许可证管理"
    assert "按许可证类型" in page.inner_text("main")
    assert page.get_by_role("link", name="许可证详情").first.is_visible()
    screenshot(page, "13-license-management-zh")
    page.goto(page.base_url + "/licenses/")
    assert page.locator("th", has_text="卡号").count() == 1
    screenshot(page, "14-license-details-zh")


def test_screenshots_of_the_other_pages(page, shop, screenshot):
    log_in(page, "northwind-admin")
    pages = {
        "03-license-details": "/licenses/",
        "15-deduction-records": "/deduction-records/",
        "16-devices": "/devices/",
        "17-sub-customers-and-accounts": "/customers/",
        "18-customer-settings": f"/settings/?customer={shop.distributor.number}",
        "19-api-tokens": "/tokens/",
    }
    for name, path in pages.items():
        response = page.goto(page.base_url + path)
        assert response.status == 200, path
        screenshot(page, name)
    page.fill("#id_name", "gateway eu-1")
    page.get_by_role("button", name="Create token").click()
    assert page.get_by_test_id("new-secret").is_visible()
    screenshot(page, "20-api-token-created")


def test_without_javascript_filters_submit_and_actions_confirm_on_a_page(
    browser, live_server, shop, screenshot
):
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, java_script_enabled=False
    )
    page = context.new_page()
    page.base_url = live_server.url
    try:
        log_in(page, "northwind-operator")
        page.goto(page.base_url + "/licenses/")
        page.select_option("#f-type", "VIDEO-90")
        page.select_option("#f-status", "unused")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url(re.compile(r"type=VIDEO-90.*status=unused|status=unused.*type=VIDEO-90"))
        row = page.locator("tr[data-card]").first
        card = row.get_attribute("data-card")

        row.get_by_role("button", name="Lock").click()

        assert "A locked license cannot be sold, returned or bound." in page.inner_text("main")
        screenshot(page, "21-lock-confirmation-without-javascript")
        page.get_by_role("button", name="Confirm").click()
        assert f"License {card} is locked." in page.locator(".messages").inner_text()
        assert "type=VIDEO-90" in page.url
        assert License.objects.get(card=card).locked
    finally:
        context.close()


def test_transfer_a_device_with_its_license_to_a_sub_customer(page, shop, screenshot):
    from daypass.devices.models import Device

    log_in(page, "northwind-operator")
    page.goto(page.base_url + "/devices/")
    device = shop.dashcams[0]  # one ADAS-365 license bound
    page.locator(f"input[name=devices][value='{device.number}']").check()

    page.get_by_role("button", name="Transfer devices").click()
    dialog = page.locator("#transfer-dialog")
    assert "Selected devices: 1." in dialog.inner_text()
    dialog.locator("select[name=to]").select_option(shop.other_dealer.number)
    screenshot(page, "22-device-transfer-dialog")
    dialog.get_by_role("button", name="Transfer devices").click()

    assert (
        "Moved 1 device to Coastline Telematics." in page.locator(".messages .success").inner_text()
    )
    assert Device.objects.get(pk=device.pk).customer == shop.other_dealer
    assert License.objects.get(device=device).customer == shop.other_dealer
