"""The inbox sink: new events become notifications of the accounts that want them.

One INSERT … SELECT per emit, whatever the number of events (the sweep emits a chunk's events
at once): the event's customer's own accounts, and the accounts of its superiors that chose
their whole subtree, each with its effective mode for the event's type; `off` writes nothing,
`webhook.test` never reaches an inbox, and inactive accounts and gateway tokens have none.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from daypass.customers.models import Account, Customer
from daypass.events.models import Event
from daypass.events.types import EventType
from daypass.notifications.models import (
    Mode,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from daypass.notifications.preferences import INBOX_ROLES, mode_sql

FANOUT_SQL = """
INSERT INTO {notification} (account_id, event_id, mode, read_at, mailed_at)
SELECT account_id, event_id, mode, NULL, NULL FROM (
    SELECT a.id AS account_id, e.id AS event_id, {mode} AS mode
    FROM {event} e
    JOIN {customer} ec ON ec.id = e.customer_id
    JOIN {account} a ON a.is_active = %s AND a.role IN ({roles})
    JOIN {customer} ac ON ac.id = a.customer_id
    LEFT JOIN {settings} s ON s.account_id = a.id
    LEFT JOIN {preference} p ON p.account_id = a.id AND p.type = e.type
    WHERE e.id IN ({ids})
      AND e.type <> %s
      AND (a.customer_id = e.customer_id
           OR (s.subtree = %s AND ec.path LIKE ac.path || '%%' AND ec.id <> ac.id))
) chosen
WHERE mode <> %s
"""


def notifications_fanout(event_ids: list[int], now: datetime) -> None:
    quote = connection.ops.quote_name
    ids = ", ".join(str(int(pk)) for pk in event_ids)
    roles = ", ".join(f"'{role.value}'" for role in INBOX_ROLES)
    sql = FANOUT_SQL.format(
        notification=quote(Notification._meta.db_table),
        event=quote(Event._meta.db_table),
        customer=quote(Customer._meta.db_table),
        account=quote(Account._meta.db_table),
        settings=quote(NotificationSettings._meta.db_table),
        preference=quote(NotificationPreference._meta.db_table),
        mode=mode_sql(role="a.role", type="e.type", chosen="p.mode"),
        roles=roles,
        ids=ids,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, EventType.WEBHOOK_TEST.value, True, Mode.OFF.value])
