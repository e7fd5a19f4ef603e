"""Every page: no serious or critical axe-core violation, and nothing wider than a phone."""

import pytest

from tests.browser.conftest import log_in

# The pages of the console (path, screenshot name at phone width).
PAGES = [
    ("/", "license-management"),
    ("/licenses/", "license-details"),
    ("/sales-records/", "sales-records"),
    ("/deduction-records/", "deduction-records"),
    ("/devices/", "devices"),
    ("/customers/", "sub-customers-and-accounts"),
    ("/settings/", "customer-settings"),
    ("/tokens/", "api-tokens"),
    ("/accounts/", "accounts"),
    ("/devices/860000000000100/", "device"),
    ("/notifications/", "notifications"),
    ("/notifications/settings/", "notification-settings"),
    ("/webhooks/", "webhooks"),
    ("/devices/bind-batch/", "bulk-bind"),
    ("/?subtree=true", "license-management-subtree"),
    ("/search/?q=8600", "search"),
    ("/consumption/", "consumption"),
]
# The platform operator's pages (logged in as the platform's admin).
PLATFORM_PAGES = [
    ("/platform/issue/", "issue-licenses"),
    ("/platform/catalog/", "license-types-and-device-models"),
    ("/platform/devices/", "register-devices"),
]


def test_the_login_page_is_accessible_and_fits_a_phone(
    page, phone, shop, assert_accessible, assert_fits_viewport, screenshot
):
    for tab in (page, phone):
        tab.goto(tab.base_url + "/login/")
        assert_accessible(tab)
    assert_fits_viewport(phone)
    width = phone.locator(".login-card").bounding_box()["width"]
    desktop_width = page.locator(".login-card").bounding_box()["width"]
    assert desktop_width <= 380  # a card, not a band across the whole screen
    assert width <= 390
    screenshot(phone, "phone-login")


def test_every_page_has_no_serious_accessibility_violation(page, shop, assert_accessible):
    log_in(page, "northwind-admin")
    for path, _name in PAGES:
        response = page.goto(page.base_url + path)
        assert response.status == 200, path
        assert_accessible(page)


def test_the_platform_pages_have_no_serious_accessibility_violation_and_fit_a_phone(
    page, phone, shop, assert_accessible, assert_fits_viewport, screenshot
):
    for tab in (page, phone):
        log_in(tab, "meridian-admin")
        for path, name in PLATFORM_PAGES:
            response = tab.goto(tab.base_url + path)
            assert response.status == 200, path
            assert_accessible(tab)
            if tab is phone:
                assert_fits_viewport(tab)
                screenshot(tab, f"phone-{name}")
            else:
                screenshot(tab, name)


def test_the_dialogs_have_no_serious_accessibility_violation(page, shop, assert_accessible):
    log_in(page, "northwind-admin")
    page.goto(page.base_url + "/licenses/?status=in_use")

    page.locator("tr[data-card]").first.get_by_role("button", name="Unbind").click()

    assert page.locator("#unbind-dialog").is_visible()
    assert_accessible(page)  # includes the contrast of the red confirm button


def test_the_unbind_confirm_button_is_white_on_red(page, shop):
    log_in(page, "northwind-admin")
    page.goto(page.base_url + "/licenses/?status=in_use")
    page.locator("tr[data-card]").first.get_by_role("button", name="Unbind").click()

    button = page.locator("#unbind-dialog button[type=submit]")
    colors = button.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
    )

    assert colors == ["rgb(255, 255, 255)", "rgb(180, 35, 24)"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_main_pages_fit_a_390_px_phone(
    phone, shop, language, assert_fits_viewport, assert_accessible, screenshot
):
    log_in(phone, "northwind-admin")
    if language != "en":
        phone.locator("select[name=language]").select_option(language)
        phone.wait_for_selector(f"html[lang={language}]")
    for path, name in PAGES:
        phone.goto(phone.base_url + path)
        assert_fits_viewport(phone)
        if language == "en":
            screenshot(phone, f"phone-{name}")
    assert_accessible(phone)


def test_the_navigation_collapses_behind_a_button_on_a_phone(phone, shop, screenshot):
    log_in(phone, "northwind-admin")
    nav = phone.locator("#sidenav")
    toggle = phone.locator("[data-nav-toggle]")
    assert not nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"

    toggle.click()

    assert nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    screenshot(phone, "phone-navigation-open")
    nav.get_by_role("link", name="Devices").click()
    phone.wait_for_url("**/devices/**")
    assert phone.get_by_role("button", name="Log out").is_visible()


def test_dialogs_fit_a_phone(phone, shop, assert_fits_viewport, screenshot):
    log_in(phone, "northwind-admin")
    phone.goto(phone.base_url + "/licenses/?status=unused&type=GPS-30")

    phone.locator("tr[data-card]").first.get_by_role("button", name="Bind").click()

    box = phone.locator("#bind-dialog").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert phone.locator("#bind-dialog button[type=submit]").is_visible()
    screenshot(phone, "phone-bind-dialog")


def test_the_csv_previews_are_accessible_and_fit_a_phone(
    page, phone, shop, assert_accessible, assert_fits_viewport, screenshot
):
    """Bulk bind and device import after an upload: every line with its pick or its error."""
    bind_csv = "device,license code\n860000000000103,ADAS-365\n860000000000200,ADAS-365\n"
    import_csv = (
        f"861000000000001,MX-C6,{shop.fleet.number}\n861000000000002,NOPE,{shop.fleet.number}\n"
    )
    for tab in (page, phone):
        for username, path, form, text, name in (
            ("northwind-admin", "/devices/bind-batch/", "preview", bind_csv, "bulk-bind-preview"),
            ("meridian-admin", "/platform/devices/", "import", import_csv, "device-import-preview"),
        ):
            tab.context.clear_cookies()
            log_in(tab, username)
            tab.goto(tab.base_url + path)
            tab.set_input_files(
                f"#{form}-file",
                files=[{"name": "lines.csv", "mimeType": "text/csv", "buffer": text.encode()}],
            )
            tab.locator(f"#{form}-file").locator("xpath=ancestor::form").get_by_role(
                "button", name="Preview"
            ).click()
            tab.wait_for_selector("[data-testid=csv-preview]")
            assert tab.locator("[data-testid=csv-preview] tbody tr").count() == 2
            assert_accessible(tab)
            if tab is phone:
                assert_fits_viewport(tab)
                screenshot(tab, f"phone-{name}")
            else:
                screenshot(tab, name)
