"""Writing events (SPEC 12.1): in the cause's transaction, then through the sinks.

    event_emit(type=EventType.DEVICE_BLACKLISTED, customer=owner, data={...}, now=now)

Services call `event_emit` once per event; the sweep calls `events_emit_many` once per chunk
(one INSERT for all of them, and one call of each sink).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from django.core.serializers.json import DjangoJSONEncoder
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
    for start in range(0, len(rows), INSERT_BATCH):
        _insert(rows[start : start + INSERT_BATCH], now=now)
    run_sinks([row.pk for row in rows], now)
    return rows


# Many rows in one statement with one parameter: the rows as one JSON array that the database
# unpacks. (Django's bulk_create sends one array per column on PostgreSQL, and psycopg escapes
# each JSON text in an array literal with a regular expression: 5x slower for event data.)
INSERT_SQL = {
    "postgresql": """
        INSERT INTO {table} (uid, type, customer_id, at, data)
        SELECT e->>0, e->>1, (e->>2)::bigint, %s, e->3
        FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS rows(e, position)
        ORDER BY position
        RETURNING id""",
    "sqlite": """
        INSERT INTO {table} (uid, type, customer_id, at, data)
        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
               json_extract(value, '$[2]'), %s, json_extract(value, '$[3]')
        FROM json_each(%s) ORDER BY key
        RETURNING id""",
}


def _insert(rows: list[Event], *, now: datetime) -> None:
    payload = json.dumps(
        [[row.uid, row.type, row.customer_id, row.data] for row in rows], cls=DjangoJSONEncoder
    )
    sql = INSERT_SQL[connection.vendor].format(
        table=connection.ops.quote_name(Event._meta.db_table)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), payload])
        pks = sorted(pk for (pk,) in cursor.fetchall())
    # Identity columns hand out increasing values in insertion order.
    for row, pk in zip(rows, pks, strict=True):
        row.pk = pk
        row._state.adding = False
