"""Which endpoints hear of which events: the sink that fills the outbox (SPEC 12.3).

An event goes to every enabled endpoint of its customer and, when the endpoint has
`include_subcustomers`, to the enabled endpoints of each of the customer's superiors whose
`events` filter names its type (an empty filter takes every type). `webhook.test` is routed by
`endpoint_test` to one endpoint only, never here.

The sink runs inside the emitter's transaction, once per emit, and inserts the deliveries with
one INSERT … SELECT per 900 events, whatever their number (the sweep emits thousands at once);
when no endpoint is enabled anywhere it costs one indexed EXISTS.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from daypass.customers.models import Customer
from daypass.events.models import Event
from daypass.events.types import EventType
from daypass.webhooks.models import Delivery, DeliveryStatus, WebhookEndpoint

# Fewer bound parameters per statement than any SQLite build accepts.
IDS_PER_STATEMENT = 900


def deliveries_enqueue_for_events(event_ids: list[int], now: datetime) -> None:
    """The events sink: queue a pending delivery, due now, per event and matching endpoint."""
    if not event_ids or not WebhookEndpoint.objects.filter(enabled=True).exists():
        return
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        for start in range(0, len(event_ids), IDS_PER_STATEMENT):
            chunk = list(event_ids[start : start + IDS_PER_STATEMENT])
            cursor.execute(_insert_sql(len(chunk)), [at, at, *chunk, str(EventType.WEBHOOK_TEST)])


def _insert_sql(count: int) -> str:
    delivery = Delivery._meta.db_table
    endpoint = WebhookEndpoint._meta.db_table
    event = Event._meta.db_table
    customer = Customer._meta.db_table
    placeholders = ", ".join(["%s"] * count)
    # A superior's path is a prefix of its sub-customers' paths (customers.Customer).
    return f"""
        INSERT INTO {delivery}
            (endpoint_id, event_id, status, attempts, next_attempt_at, created_at,
             last_error, last_response_body)
        SELECT ep.id, ev.id, '{DeliveryStatus.PENDING}', 0, %s, %s, '', ''
        FROM {event} ev
        JOIN {customer} c ON c.id = ev.customer_id
        JOIN {endpoint} ep ON ep.enabled
        JOIN {customer} ec ON ec.id = ep.customer_id
        WHERE ev.id IN ({placeholders})
          AND ev.type <> %s
          AND (
            ep.customer_id = ev.customer_id
            OR (ep.include_subcustomers AND substr(c.path, 1, length(ec.path)) = ec.path)
          )
          AND (ep.event_types = '' OR ep.event_types LIKE '%%,' || ev.type || ',%%')
    """
