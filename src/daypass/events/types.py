"""The event types of SPEC 12.1 and the limits their data follow."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    LICENSE_RUNNING_LOW = "license.running_low"
    LICENSE_EXPIRED = "license.expired"
    DEVICE_BLACKLISTED = "device.blacklisted"
    DEVICE_RESTORED = "device.restored"
    LICENSES_RECEIVED = "licenses.received"
    LICENSE_AUTO_BOUND = "license.auto_bound"
    CUSTOMER_SETTINGS_CHANGED = "customer.settings_changed"
    WEBHOOK_DISABLED = "webhook.disabled"
    WEBHOOK_TEST = "webhook.test"


# `licenses.received` names at most this many cards; `count` is always the whole batch.
RECEIVED_MAX_CARDS = 1_000


class RestoreCause(StrEnum):
    """`device.restored` data `cause`: what lifted the blacklist (SPEC 4.5)."""

    BIND = "bind"
    TOP_UP = "top_up"
    MANUAL = "manual"
