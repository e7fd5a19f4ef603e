"""Inboxes (SPEC 12.2): who gets which event, by role defaults and own choices."""

from __future__ import annotations

import pytest
from django.db import transaction

from daypass.core.errors import NotFound, ValidationFailed
from daypass.customers.services import customer_settings_update
from daypass.events.emit import event_emit
from daypass.events.types import EventType
from daypass.notifications.models import Notification
from daypass.notifications.selectors import notification_settings_get, unread_count
from daypass.notifications.services import (
    notification_settings_update,
    notifications_mark_read,
)
from tests import factories

NOW = factories.NOW


def emit(type, customer, data=None):
    with transaction.atomic():
        return event_emit(type=type, customer=customer, data=data or {}, now=NOW)


def inbox(account):
    return {
        (n.event.type, n.mode)
        for n in Notification.objects.filter(account=account).select_related("event")
    }


def test_role_defaults_for_an_everyday_event(tree):
    emit(EventType.LICENSE_RUNNING_LOW, tree.dealer)
    assert inbox(tree.dealer_admin) == {("license.running_low", "digest")}
    assert inbox(tree.dealer_operator) == {("license.running_low", "digest")}
    assert inbox(tree.dealer_viewer) == {("license.running_low", "inbox")}
    # nobody else: not the parent's accounts (no subtree), not a sub-customer's
    assert inbox(tree.distributor_admin) == set()
    assert inbox(tree.fleet_admin) == set()


def test_settings_changed_reaches_admins_at_once_and_nobody_else_by_default(tree):
    customer_settings_update(
        actor=tree.dealer_admin,
        customer=tree.dealer,
        allow_superior_manage_licenses=True,
        now=NOW,
    )
    assert inbox(tree.dealer_admin) == {("customer.settings_changed", "email")}
    assert inbox(tree.dealer_operator) == set()
    assert inbox(tree.dealer_viewer) == set()


def test_webhook_disabled_reaches_admins_at_once(tree):
    emit(EventType.WEBHOOK_DISABLED, tree.dealer, {"webhook": {"url": "https://x.example"}})
    assert inbox(tree.dealer_admin) == {("webhook.disabled", "email")}
    assert inbox(tree.dealer_operator) == set()


def test_webhook_test_never_reaches_an_inbox(tree):
    emit(EventType.WEBHOOK_TEST, tree.dealer)
    assert Notification.objects.count() == 0


def test_subtree_brings_the_sub_customers_events(tree):
    notification_settings_update(account=tree.distributor_operator, subtree=True, now=NOW)
    emit(EventType.DEVICE_BLACKLISTED, tree.fleet)
    emit(EventType.DEVICE_BLACKLISTED, tree.sibling)
    assert inbox(tree.distributor_operator) == {("device.blacklisted", "digest")}
    assert Notification.objects.get(account=tree.distributor_operator).event.customer == tree.fleet
    assert inbox(tree.distributor_admin) == set()


def test_an_account_chooses_per_type(tree):
    notification_settings_update(
        account=tree.dealer_operator,
        events={"license.expired": "off", "device.restored": "email"},
        now=NOW,
    )
    emit(EventType.LICENSE_EXPIRED, tree.dealer)
    emit(EventType.DEVICE_RESTORED, tree.dealer)
    assert inbox(tree.dealer_operator) == {("device.restored", "email")}


def test_inactive_accounts_get_nothing(tree):
    tree.dealer_viewer.is_active = False
    tree.dealer_viewer.save()
    emit(EventType.LICENSE_EXPIRED, tree.dealer)
    assert inbox(tree.dealer_viewer) == set()


def test_settings_whole_with_defaults(tree):
    assert notification_settings_get(tree.dealer_viewer) == {
        "email": None,
        "subtree": False,
        "events": {
            "license.running_low": "inbox",
            "license.expired": "inbox",
            "device.blacklisted": "inbox",
            "device.restored": "inbox",
            "licenses.received": "inbox",
            "license.auto_bound": "inbox",
            "customer.settings_changed": "off",
            "webhook.disabled": "off",
        },
    }


def test_settings_merge(tree):
    account = tree.dealer_admin
    notification_settings_update(account=account, email="a@example.com", now=NOW)
    notification_settings_update(account=account, events={"license.expired": "inbox"}, now=NOW)
    settings = notification_settings_get(account)
    assert settings["email"] == "a@example.com"
    assert settings["events"]["license.expired"] == "inbox"
    assert settings["events"]["license.running_low"] == "digest"
    notification_settings_update(account=account, email=None, now=NOW)
    assert notification_settings_get(account)["email"] is None


@pytest.mark.parametrize(
    "changes",
    [
        {"events": {"customer.settings_changed": "off"}},
        {"events": {"webhook.test": "inbox"}},
        {"events": {"license.expired": "sometimes"}},
        {"email": "not an address"},
        {"subtree": "yes"},
    ],
)
def test_invalid_settings_change_nothing(tree, changes):
    before = notification_settings_get(tree.dealer_admin)
    with pytest.raises(ValidationFailed):
        notification_settings_update(account=tree.dealer_admin, now=NOW, **changes)
    assert notification_settings_get(tree.dealer_admin) == before


def test_a_non_admin_may_switch_settings_changed_off_and_an_admin_still_gets_it(tree):
    notification_settings_update(
        account=tree.dealer_operator, events={"customer.settings_changed": "off"}, now=NOW
    )
    # later promoted to admin: the consent never changes unseen
    tree.dealer_operator.role = "admin"
    tree.dealer_operator.save()
    emit(EventType.CUSTOMER_SETTINGS_CHANGED, tree.dealer)
    assert inbox(tree.dealer_operator) == {("customer.settings_changed", "email")}
    assert (
        notification_settings_get(tree.dealer_operator)["events"]["customer.settings_changed"]
        == "email"
    )


def test_mark_read(tree):
    for _ in range(3):
        emit(EventType.LICENSE_EXPIRED, tree.dealer)
    mine = list(Notification.objects.filter(account=tree.dealer_viewer).order_by("id"))
    assert unread_count(tree.dealer_viewer) == 3

    assert notifications_mark_read(account=tree.dealer_viewer, ids=[mine[0].pk], now=NOW) == 1
    assert notifications_mark_read(account=tree.dealer_viewer, ids=[mine[0].pk], now=NOW) == 0
    assert unread_count(tree.dealer_viewer) == 2
    assert notifications_mark_read(account=tree.dealer_viewer, all=True, now=NOW) == 2
    assert unread_count(tree.dealer_viewer) == 0
    assert unread_count(tree.dealer_admin) == 3


def test_marking_someone_elses_notification_is_not_found_and_changes_nothing(tree):
    emit(EventType.LICENSE_EXPIRED, tree.dealer)
    mine = Notification.objects.get(account=tree.dealer_viewer)
    theirs = Notification.objects.get(account=tree.dealer_admin)
    with pytest.raises(NotFound):
        notifications_mark_read(account=tree.dealer_viewer, ids=[mine.pk, theirs.pk], now=NOW)
    assert unread_count(tree.dealer_viewer) == 1
