"""Writing events (SPEC 12.1): in the cause's transaction, then through the sinks.

    event_emit(type=EventType.DEVICE_BLACKLISTED, customer=owner, data={...}, now=now)

Services call `event_emit` once per event; the sweep calls `events_emit_many` once per chunk
(one INSERT for all of them, and one call of each sink).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import connection

from daypass.events.models import Event
from daypass.events.sinks import run_sinks

if TYPE_CHECKING:
    from daypass.customers.models import Customer

INSERT_BATCH = 2_000


class NewEvent(NamedTuple):
    type: str
    customer_id: int
    data: dict[str, Any]


def new_event_uid() -> str:
    return f"evt_{uuid.uuid4().hex}"


def event_emit(*, type: str, customer: Customer, data: dict[str, Any], now: datetime) -> Event:
    """Write one event for `customer`; must run inside the transaction of its cause."""
    (event,) = _write([NewEvent(str(type), customer.pk, data)], now=now)
    event.customer = customer
    return event


def events_emit_many(*, events: Sequence[NewEvent], now: datetime) -> list[int]:
    """Write many events at once (one INSERT per 2,000) and return their primary keys."""
    return [event.pk for event in _write(events, now=now)]


def _write(events: Sequence[NewEvent], *, now: datetime) -> list[Event]:
    if not events:
        return []
    if not connection.in_atomic_block:
        # An event outside its cause's transaction could survive a rolled-back cause.
        raise RuntimeError("events are written inside the transaction of their cause")
    rows = [
        Event(uid=new_event_uid(), type=str(e.type), customer_id=e.customer_id, at=now, data=e.data)
        for e in events
    ]
    Event.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    run_sinks([row.pk for row in rows], now)
    return rows
