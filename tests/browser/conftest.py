"""Browser tests: Playwright for Python drives Debian's chromium against the live server.

Screenshots go to a temporary folder, so a test run leaves the tree clean. To refresh the
committed ones in docs/screenshots, run `make screenshots` (DAYPASS_REFRESH_SCREENSHOTS=1).
Every page a test looks at can be checked with axe-core (`assert_accessible`) and, on a phone
viewport, for horizontal overflow (`assert_fits_viewport`).

Playwright's sync API runs an event loop in the test thread, which makes Django refuse database
access from it ("you cannot call this from an async context"); the tests only touch the
database to arrange data and check results, never concurrently with a request, so that check
is switched off for them.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from daypass.billing.deduction import device_charge  # noqa: E402
from daypass.licenses.services import license_bind, licenses_sell  # noqa: E402
from tests import factories  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# axe-core impacts that fail a test (SPEC 13: no serious or critical violation).
FAILING_IMPACTS = ("serious", "critical")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _new_page(browser, live_server, viewport: dict):
    # bypass_csp: axe-core is injected with page.evaluate, which a strict CSP would refuse.
    context = browser.new_context(
        viewport=viewport, locale="en-US", timezone_id="UTC", bypass_csp=True
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.base_url = live_server.url
    return context, tab


@pytest.fixture
def page(browser, live_server):
    context, tab = _new_page(browser, live_server, VIEWPORT)
    yield tab
    context.close()


@pytest.fixture
def phone(browser, live_server):
    """A tab 390 px wide, the size of a common phone."""
    context, tab = _new_page(browser, live_server, PHONE)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def screenshot_folder(tmp_path_factory) -> Path:
    if os.environ.get("DAYPASS_REFRESH_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(screenshot_folder):
    def save(page, name: str) -> None:
        page.screenshot(path=str(screenshot_folder / f"{name}.png"))

    return save


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def serious_violations(axe, page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    results = axe.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] in FAILING_IMPACTS:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
            lines.append(f"{violation['id']} ({violation['impact']}): {', '.join(targets)}")
    return lines


@pytest.fixture
def assert_accessible(axe):
    def check(page) -> None:
        problems = serious_violations(axe, page)
        assert problems == [], f"{page.url}: " + "; ".join(problems)

    return check


def overflowing_elements(page) -> dict:
    """How wide the page is against the viewport, and the widest elements sticking out."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            const out = [];
            for (const el of document.querySelectorAll('body *')) {
                const box = el.getBoundingClientRect();
                if (box.width && box.right > width + 1 && !el.closest('.table-wrap')
                    && getComputedStyle(el).visibility !== 'hidden') {
                    out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                        + (el.className && typeof el.className === 'string'
                           ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                        + ' → ' + Math.round(box.right));
                }
            }
            return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 8)};
        }"""
    )


@pytest.fixture
def assert_fits_viewport():
    def check(page) -> None:
        found = overflowing_elements(page)
        assert found["scroll"] <= found["width"] and found["out"] == [], (
            f"{page.url}: page {found['scroll']} px wide in a {found['width']} px viewport; "
            f"sticking out: {found['out']}"
        )

    return check


def log_in(page, username: str) -> None:
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")


class Shop:
    """A small but realistic tree: a distributor with stock, a dealer, a fleet; devices; history."""

    def __init__(self):
        self.platform = factories.make_customer(name="Meridian Telematics")
        self.distributor = factories.make_customer(
            parent=self.platform, name="Northwind Distribution"
        )
        self.dealer = factories.make_customer(
            parent=self.distributor, name="Harbor Fleet Solutions"
        )
        self.fleet = factories.make_customer(parent=self.dealer, name="Bayside Taxi")
        self.other_dealer = factories.make_customer(
            parent=self.distributor, name="Coastline Telematics"
        )
        self.platform_admin = factories.make_account(self.platform, "admin", "meridian-admin")
        self.admin = factories.make_account(self.distributor, "admin", "northwind-admin")
        self.operator = factories.make_account(self.distributor, "operator", "northwind-operator")
        self.dealer_admin = factories.make_account(self.dealer, "admin", "harbor-admin")
        now = factories.NOW
        self.dashcam = factories.make_device_model("MX-C6")
        self.tracker = factories.make_device_model("GT-100")
        self.adas = factories.make_license_type(code="ADAS-365", days=365, models=[self.dashcam])
        self.gps = factories.make_license_type(
            code="GPS-30", days=30, models=[self.tracker, self.dashcam]
        )
        self.video = factories.make_license_type(code="VIDEO-90", days=90, models=[self.dashcam])
        for license_type, name in (
            (self.adas, "ADAS service, 1 year"),
            (self.gps, "GPS tracking, 30 days"),
            (self.video, "Live video, 90 days"),
        ):
            license_type.name = name
            license_type.save(update_fields=["name"])
        card = iter(range(1, 1000))

        def make(type, **fields):
            return factories.make_license(
                customer=self.distributor, type=type, card=f"DP{next(card):010d}", **fields
            )

        for _ in range(12):
            make(self.adas)
        for _ in range(6):
            make(self.video)
        for days in (25, 12, 5, 3):
            make(self.gps, available_days=days, total_days=30)
        make(self.gps, available_days=0, total_days=30)
        make(self.gps, available_days=0, total_days=30)
        make(self.adas, locked=True)
        make(self.gps, activated_at=now - timedelta(days=10), available_days=20, total_days=30)
        self.dashcams = [
            factories.make_device(
                customer=self.distributor, model=self.dashcam, number=f"8600000000001{i:02d}"
            )
            for i in range(4)
        ]
        self.trackers = [
            factories.make_device(
                customer=self.distributor, model=self.tracker, number=f"8600000000002{i:02d}"
            )
            for i in range(2)
        ]
        # Two licenses in use and one bound but never charged (inactive).
        for device, license in zip(self.dashcams[:2], self.licenses(self.adas)[:2], strict=True):
            license_bind(actor=self.admin, license=license, device=device, now=now)
            device_charge(device=device, now=now, trigger="report")
        license_bind(
            actor=self.admin, license=self.licenses(self.video)[0], device=self.dashcams[2], now=now
        )
        # Stock for the dealer, sold in the past.
        dealer_stock = [make(self.adas) for _ in range(3)]
        licenses_sell(actor=self.admin, licenses=dealer_stock, to=self.dealer, now=now)

    def licenses(self, license_type):
        from daypass.licenses.models import License

        return list(
            License.objects.filter(
                customer=self.distributor, type=license_type, device__isnull=True, locked=False
            ).order_by("card")
        )


@pytest.fixture
def shop(transactional_db):
    return Shop()
