"""Reads of an account's own notifications and settings (never anyone else's)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from daypass.customers.models import Account
from daypass.notifications.models import Notification, NotificationPreference, NotificationSettings
from daypass.notifications.preferences import effective_modes

# The header shows "99+" past this: counting stops there, so it stays cheap.
UNREAD_COUNT_CAP = 99


def notification_list(account: Account, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The account's inbox, newest first (events are numbered in the order they are written)."""
    rows = Notification.objects.filter(account=account).select_related("event__customer")
    if unread is True:
        rows = rows.filter(read_at__isnull=True)
    elif unread is False:
        rows = rows.filter(read_at__isnull=False)
    return rows.order_by("-event_id")


def unread_count(account: Account, *, cap: int | None = None) -> int:
    rows = Notification.objects.filter(account=account, read_at__isnull=True)
    if cap is not None:
        return len(rows.values_list("id", flat=True)[: cap + 1])
    return rows.count()


def notification_settings_get(account: Account) -> dict[str, Any]:
    """`{"email", "subtree", "events"}`: the whole settings, defaults filled in."""
    own = NotificationSettings.objects.filter(account=account).first()
    chosen = dict(
        NotificationPreference.objects.filter(account=account).values_list("type", "mode")
    )
    return {
        "email": account.email or None,
        "subtree": own.subtree if own else False,
        "events": effective_modes(role=account.role, chosen=chosen),
    }


def account_language(account: Account) -> str:
    own = NotificationSettings.objects.filter(account=account).first()
    return own.language if own else "en"
