"""Translated labels and colours for license statuses, transfer methods and deduction results.

The model choices carry English labels for the database and the API; the console shows these.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

STATUS_LABELS = {
    "unused": _("Unused"),
    "inactive": _("Inactive"),
    "in_use": _("In use"),
    "deactivated": _("Deactivated"),
    "expired": _("Expired"),
}

STATUS_COLORS = {
    "unused": "#56B4E9",
    "inactive": "#E69F00",
    "in_use": "#009E73",
    "deactivated": "#CC79A7",
    "expired": "#D55E00",
}

METHOD_LABELS = {
    "sell": _("Sell"),
    "return": _("Return"),
    "bind": _("Bind"),
    "device": _("Device transfer"),
}

RESULT_LABELS = {"success": _("Success"), "failed": _("Failed")}

# Why a report was refused, a charge failed, or a blacklist was set or lifted (codes stored in
# deductions and devices, and answered by the gate).
REASON_LABELS = {
    "no_valid_license": _("No valid license"),
    "unknown_device": _("Unknown device"),
    "blacklisted": _("Blacklisted"),
    "paid": _("Already paid"),
    "charged": _("Charged"),
    "license_bind": _("A license was bound"),
    "license_top_up": _("A license was topped up"),
    "manual": _("Cleared by hand"),
}

TRIGGER_LABELS = {"report": _("Report"), "sweep": _("Sweep")}

ROLE_LABELS = {
    "admin": _("Administrator"),
    "operator": _("Operator"),
    "viewer": _("Viewer"),
    "gateway": _("Gateway"),
}


LEVEL_LABELS = {
    "platform": _("Platform"),
    "distributor": _("Distributor"),
    "dealer": _("Dealer"),
    "fleet": _("Fleet"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# Where an event goes (SPEC 12.2), in the notification settings.
MODE_LABELS = {
    "off": _("Off"),
    "inbox": _("Inbox"),
    "email": _("Inbox and email at once"),
    "digest": _("Inbox and the daily digest"),
}

DELIVERY_STATUS_LABELS = {
    "pending": _("Pending"),
    "delivered": _("Delivered"),
    "failed": _("Failed"),
}
