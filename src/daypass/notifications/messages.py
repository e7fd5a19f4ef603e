"""What an event says to a person: one line of text and a link into the console.

The inbox page, the immediate email and the daily digest all read these, in the language
active when they are called (`translation.override`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from daypass.events.types import EventType


@dataclass(frozen=True)
class Message:
    text: str
    path: str  # inside the console, e.g. /licenses/?customer=C000004&card=DP0000000001

    @property
    def url(self) -> str:
        return console_url(self.path)


TYPE_LABELS = {
    EventType.LICENSE_RUNNING_LOW: gettext_lazy("Licenses running low"),
    EventType.LICENSE_EXPIRED: gettext_lazy("Licenses expired"),
    EventType.DEVICE_BLACKLISTED: gettext_lazy("Devices blacklisted"),
    EventType.DEVICE_RESTORED: gettext_lazy("Devices restored"),
    EventType.LICENSES_RECEIVED: gettext_lazy("Licenses received"),
    EventType.LICENSE_AUTO_BOUND: gettext_lazy("Licenses bound by auto-renew"),
    EventType.CUSTOMER_SETTINGS_CHANGED: gettext_lazy("Settings changed"),
    EventType.WEBHOOK_DISABLED: gettext_lazy("Webhooks disabled"),
    EventType.WEBHOOK_TEST: gettext_lazy("Webhook tests"),
}


def console_url(path: str) -> str:
    return settings.DAYPASS_PUBLIC_URL.rstrip("/") + path


def _page(name: str, **query: str) -> str:
    return reverse(f"web:{name}") + ("?" + urlencode(query) if query else "")


def event_message(type: str, customer: str, data: dict[str, Any]) -> Message:
    """The line and link for an event of `type` of customer number `customer`."""
    license = data.get("license") or {}
    device = data.get("device") or {}
    if type == EventType.LICENSE_RUNNING_LOW:
        text = _("License %(card)s is running low: %(days)s days left.") % {
            "card": license.get("card"),
            "days": license.get("available_days"),
        }
        return Message(text, _page("licenses", customer=customer, card=license.get("card", "")))
    if type == EventType.LICENSE_EXPIRED:
        text = _("License %(card)s has expired.") % {"card": license.get("card")}
        return Message(text, _page("licenses", customer=customer, card=license.get("card", "")))
    if type == EventType.DEVICE_BLACKLISTED:
        text = _("Device %(number)s is blacklisted: no license can pay for it.") % {
            "number": device.get("number")
        }
        return Message(text, _page("devices", customer=customer, number=device.get("number", "")))
    if type == EventType.DEVICE_RESTORED:
        text = _("Device %(number)s has left the blacklist.") % {"number": device.get("number")}
        return Message(text, _page("devices", customer=customer, number=device.get("number", "")))
    if type == EventType.LICENSES_RECEIVED:
        text = _("%(count)s licenses received from %(sender)s.") % {
            "count": data.get("count"),
            "sender": data.get("from"),
        }
        return Message(text, _page("transfers", customer=customer))
    if type == EventType.LICENSE_AUTO_BOUND:
        text = _("Auto-renew bound license %(card)s to device %(number)s.") % {
            "card": license.get("card"),
            "number": device.get("number"),
        }
        return Message(text, _page("devices", customer=customer, number=device.get("number", "")))
    if type == EventType.CUSTOMER_SETTINGS_CHANGED:
        text = _("%(user)s changed the settings of %(customer)s: %(changed)s.") % {
            "user": data.get("changed_by"),
            "customer": (data.get("customer") or {}).get("name", customer),
            "changed": ", ".join(str(SETTING_LABELS.get(n, n)) for n in data.get("changed", [])),
        }
        return Message(text, _page("settings", customer=customer))
    if type == EventType.WEBHOOK_DISABLED:
        text = _("Webhook %(url)s was disabled after failing.") % {
            "url": (data.get("webhook") or {}).get("url")
        }
        return Message(text, _page("notifications"))
    return Message(str(TYPE_LABELS.get(type, type)), _page("notifications"))


SETTING_LABELS = {
    "allow_superior_manage_licenses": gettext_lazy("Allow superior to manage licenses"),
    "allow_auto_renew": gettext_lazy("Auto-renew"),
}
