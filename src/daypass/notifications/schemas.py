"""API shapes of the inbox and the notification settings (SPEC 12.2, 12.4)."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

from daypass.core.schemas import InputSchema, PageQuery
from daypass.events.schemas import EventOut
from daypass.notifications.preferences import INBOX_TYPES

ModeName = Literal["off", "inbox", "email", "digest"]
# Every event type but webhook.test, which reaches webhooks only (notifications/preferences.py).
InboxTypeName = Literal[INBOX_TYPES]  # type: ignore[valid-type]


class NotificationOut(Schema):
    id: int
    event: EventOut
    read: bool


class NotificationPage(Schema):
    items: list[NotificationOut]
    count: int


class NotificationQuery(PageQuery):
    unread: bool | None = Field(None, description="true: only unread; false: only read.")


class MarkReadIn(InputSchema):
    ids: list[int] | None = Field(None, min_length=1, max_length=1000)
    all: bool | None = Field(None, description="true: every notification of yours.")


class MarkReadOut(Schema):
    updated: int


class NotificationSettingsOut(Schema):
    email: str | None
    subtree: bool
    events: dict[InboxTypeName, ModeName]


class NotificationSettingsIn(InputSchema):
    email: str | None = Field(None, max_length=254, description="null (or empty) clears it.")
    subtree: bool | None = None
    events: dict[InboxTypeName, ModeName] | None = None
