"""API: the caller's inbox and notification settings (SPEC 12.4)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from daypass.core import clock
from daypass.core.api import ERROR_RESPONSES, page_of
from daypass.customers.auth import BearerToken
from daypass.events.api import event_out
from daypass.notifications.models import Notification
from daypass.notifications.schemas import (
    MarkReadIn,
    MarkReadOut,
    NotificationPage,
    NotificationQuery,
    NotificationSettingsIn,
    NotificationSettingsOut,
)
from daypass.notifications.selectors import notification_list, notification_settings_get
from daypass.notifications.services import (
    UNSET,
    notification_settings_update,
    notifications_mark_read,
)

router = Router(tags=["notifications"])

# Viewers too: marking one's own notifications read and choosing one's own settings.
OWN_ACCOUNT = BearerToken(own=True)


def notification_out(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "event": event_out(notification.event),
        "read": notification.read_at is not None,
    }


@router.get("/notifications", response={200: NotificationPage, **ERROR_RESPONSES})
def notification_list_endpoint(request: HttpRequest, query: Query[NotificationQuery]):
    """The caller's notifications, newest first."""
    return page_of(notification_list(request.auth, unread=query.unread), query, notification_out)


@router.post(
    "/notifications/read", auth=OWN_ACCOUNT, response={200: MarkReadOut, **ERROR_RESPONSES}
)
def notification_read_endpoint(request: HttpRequest, payload: MarkReadIn):
    """Mark `ids` (all the caller's own) or `all: true` read; `updated` counts those unread."""
    updated = notifications_mark_read(
        account=request.auth, ids=payload.ids, all=payload.all is True, now=clock.now()
    )
    return {"updated": updated}


@router.get("/me/notification-settings", response={200: NotificationSettingsOut, **ERROR_RESPONSES})
def notification_settings_endpoint(request: HttpRequest):
    return notification_settings_get(request.auth)


@router.put(
    "/me/notification-settings",
    auth=OWN_ACCOUNT,
    response={200: NotificationSettingsOut, **ERROR_RESPONSES},
)
def notification_settings_put(request: HttpRequest, payload: NotificationSettingsIn):
    """Merge the given keys; the answer is the whole settings."""
    given = payload.model_fields_set
    notification_settings_update(
        account=request.auth,
        email=payload.email if "email" in given else UNSET,
        subtree=payload.subtree,
        events=payload.events,
        now=clock.now(),
    )
    return notification_settings_get(request.auth)
