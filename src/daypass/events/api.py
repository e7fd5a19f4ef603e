"""API: GET /events (SPEC 12.4)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from daypass.core.api import ERROR_RESPONSES, filters_of, page_of
from daypass.events.models import Event
from daypass.events.schemas import EventPage, EventQuery
from daypass.events.selectors import EventFilterSet, event_list

router = Router(tags=["events"])


def event_out(event: Event) -> dict[str, Any]:
    """The event's shape (SPEC 12.1): what webhooks send and inboxes hold, too."""
    return {
        "id": event.uid,
        "type": event.type,
        "timestamp": event.at,
        "customer": event.customer.number,
        "data": event.data,
    }


@router.get("/events", response={200: EventPage, **ERROR_RESPONSES})
def event_list_endpoint(request: HttpRequest, query: Query[EventQuery]):
    """The selected customer's events (or its whole subtree's), newest first."""
    events = event_list(
        request.auth,
        query.customer,
        subtree=query.subtree,
        filters=filters_of(query, EventFilterSet),
    )
    return page_of(events, query, event_out)
