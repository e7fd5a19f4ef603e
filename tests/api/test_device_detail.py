"""GET /devices/{number} and POST /devices/{number}/clear-blacklist (SPEC 13)."""

import pytest

from daypass.core.models import AuditEvent
from daypass.devices.models import Device
from tests.api.conftest import error_of
from tests.factories import NOW, make_device, make_license

DEVICE_KEYS = {"number", "model", "customer", "service_until", "blacklisted", "licenses"}


@pytest.fixture
def blacklisted(tree):
    return make_device(
        customer=tree.fleet,
        number="860000000000042",
        blacklisted=True,
        blacklisted_at=NOW,
        blacklist_reason="no_valid_license",
    )


def test_device_detail(api_as, tree, blacklisted):
    make_license(customer=tree.fleet, card="B-2", device=blacklisted, bound_at=NOW)
    make_license(customer=tree.fleet, card="B-1", device=blacklisted, bound_at=NOW)

    response = api_as(tree.dealer_viewer).get(f"/devices/{blacklisted.number}")

    assert response.status_code == 200
    body = response.json()
    assert DEVICE_KEYS <= set(body)
    assert body["number"] == blacklisted.number
    assert body["customer"] == tree.fleet.number
    assert body["blacklisted"] is True
    assert body["licenses"] == ["B-1", "B-2"]


@pytest.mark.parametrize("number", ["860000000000042", "NO-SUCH-DEVICE"])
def test_device_detail_outside_the_subtree_is_not_found(api_as, tree, blacklisted, number):
    response = api_as(tree.sibling_admin).get(f"/devices/{number}")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_platform_admin_clears_a_blacklist_by_hand(api_as, tree, blacklisted):
    response = api_as(tree.platform_admin).post(
        f"/devices/{blacklisted.number}/clear-blacklist", {"reason": "paid by phone"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["blacklisted"] is False
    blacklisted.refresh_from_db()
    assert (blacklisted.blacklisted, blacklisted.blacklisted_at) == (False, None)
    event = AuditEvent.objects.get(action="device.blacklist_clear")
    assert event.target == blacklisted.number
    assert event.details["reason"] == "paid by phone"
    assert event.details["previous_reason"] == "no_valid_license"


def test_clearing_a_device_that_is_not_blacklisted_changes_nothing(api_as, tree):
    device = make_device(customer=tree.fleet, number="OK-1")

    response = api_as(tree.platform_admin).post(
        f"/devices/{device.number}/clear-blacklist", {"reason": "check"}
    )

    assert response.status_code == 200
    assert response.json()["blacklisted"] is False
    assert not AuditEvent.objects.filter(action="device.blacklist_clear").exists()


@pytest.mark.parametrize("account", ["fleet_admin", "dealer_admin", "distributor_operator"])
@pytest.mark.parametrize("reason", ["paid", "license_bind", "license_top_up"])
def test_only_the_platform_admin_clears_by_hand(api_as, tree, blacklisted, account, reason):
    # A typed reason that happens to be an automatic one does not skip the check.
    response = api_as(getattr(tree, account)).post(
        f"/devices/{blacklisted.number}/clear-blacklist", {"reason": reason}
    )

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert Device.objects.get(pk=blacklisted.pk).blacklisted


def test_clear_blacklist_outside_the_subtree_is_not_found(api_as, tree, blacklisted):
    response = api_as(tree.sibling_admin).post(
        f"/devices/{blacklisted.number}/clear-blacklist", {"reason": "paid"}
    )

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "x" * 501},
        {"reason": 5},
        {"reason": "a\x00b"},
    ],
)
def test_clear_blacklist_needs_a_reason(api_as, tree, blacklisted, body):
    response = api_as(tree.platform_admin).post(
        f"/devices/{blacklisted.number}/clear-blacklist", body
    )

    assert response.status_code == 422, response.content
    assert error_of(response)["code"] == "validation_error"
    assert Device.objects.get(pk=blacklisted.pk).blacklisted


def test_device_transfer_to_the_current_owner_says_so(api_as, tree):
    device = make_device(customer=tree.fleet, number="AT-FLEET")

    response = api_as(tree.dealer_admin).post(
        "/devices/transfer", {"devices": [device.number], "to": tree.fleet.number}
    )

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "already belongs to Fleet" in error["message"]
