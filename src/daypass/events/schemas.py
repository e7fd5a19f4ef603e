"""API shapes of events (SPEC 12.1, 12.4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from daypass.core.schemas import PageQuery
from daypass.events.types import EventType
from daypass.licenses.schemas import DATE_HELP

# The names of EventType, one home (events/types.py).
EventTypeName = Literal[tuple(t.value for t in EventType)]  # type: ignore[valid-type]


class EventOut(Schema):
    id: str = Field(description="evt_…, stable forever (the webhook-id of its deliveries).")
    type: EventTypeName
    timestamp: datetime
    customer: str
    data: dict[str, Any]


class EventPage(Schema):
    items: list[EventOut]
    count: int


class EventQuery(PageQuery):
    customer: str | None = Field(None, description="Whose events; your own customer if omitted.")
    subtree: bool = Field(False, description="Also the events of every sub-customer.")
    type: EventTypeName | None = None
    date_from: str | None = Field(None, description=DATE_HELP)
    date_to: str | None = Field(None, description=DATE_HELP)
