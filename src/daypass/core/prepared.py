"""Reads that PostgreSQL prepares on the connection, for the hottest statements.

Django's psycopg cursor binds parameters on the client and never prepares: PostgreSQL parses and
plans every statement anew. For most queries that is a few hundredths of a millisecond. Two
kinds of reads pay far more for it:

- the gate's read of a batch of devices, run for every report (billing/gate.py: 17 us of
  PostgreSQL CPU for a single device instead of 45);
- the reads of a list over the monthly partitions of the deductions (billing/partitions.py)
  with no bound on `at`, such as one device's or one license's deductions: PostgreSQL plans
  every month's partition and each of its indexes, and with a year of history planning cost
  more than the read (0.6 ms against 0.1 for a device's first page, bench/history.py).

`server_bound_fetch` binds on the server instead, so psycopg prepares a statement once it ran
`PREPARE_THRESHOLD` times on the connection, and PostgreSQL, after a few runs of a prepared
statement, keeps one generic plan for it. The statement text must then be the same from one
call to the next with only the parameters changing, as Django's compiled queries are.
Connections live `CONN_MAX_AGE` seconds (settings.py), so the plans outlive a request.

A pooler that cannot keep prepared statements (PgBouncer before 1.21 in transaction mode) is
served by `DATABASE_URL` `?prepare_threshold=none`: the statements then run unprepared, as
Django's do.
"""

from __future__ import annotations

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connection as default_connection
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

# psycopg's own default: a statement is prepared on a connection once it ran this many times.
PREPARE_THRESHOLD = 5


def server_bound_fetch(
    sql: str, params: list | tuple, *, database: BaseDatabaseWrapper = default_connection
) -> list[tuple]:
    """All rows of one read on PostgreSQL, through a server-binding cursor (see the module
    docstring). It is wrapped as Django wraps its own cursors: database errors are translated,
    and the query is logged when queries are being recorded (tests count them)."""
    database.ensure_connection()
    raw_connection = database.connection
    if raw_connection.prepare_threshold is None and (
        "prepare_threshold" not in database.settings_dict["OPTIONS"]
    ):
        # Django switches prepared statements off unless the database OPTIONS name a threshold
        # (DATABASE_URL `?prepare_threshold=none` keeps them off). Only server-binding cursors
        # ever prepare, and only this module uses them, so this changes nothing else.
        raw_connection.prepare_threshold = PREPARE_THRESHOLD
    raw_cursor = psycopg.Cursor(raw_connection)
    if database.queries_logged:
        cursor = database.make_debug_cursor(raw_cursor)
    else:
        cursor = database.make_cursor(raw_cursor)
    with cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if database.queries_logged and database.queries_log[-1]["sql"] is None:
        # A prepared statement runs by name, so Django finds no text to log: compose it.
        database.queries_log[-1]["sql"] = database.ops.compose_sql(sql, params)
    return rows


def queryset_fetch(queryset: QuerySet) -> list[tuple]:
    """The rows of a `values_list()` queryset (sliced or not), read by `server_bound_fetch` on
    PostgreSQL and by the ORM elsewhere."""
    database = connections[queryset.db]
    if database.vendor != "postgresql":
        return list(queryset)
    query = queryset.query.clone()
    low, high = query.low_mark, query.high_mark
    # The cut becomes parameters (Django writes it into the text): every page of every device
    # is then one statement, prepared once, where each page would be a statement of its own.
    cut = not query.combinator and (low or high is not None)
    if cut:
        query.clear_limits()
    compiled = _compiled(query, database)
    if compiled is None:
        return []
    sql, params = compiled
    if cut:
        sql = f"{sql} LIMIT %s OFFSET %s"
        params = (*params, None if high is None else high - low, low)
    return server_bound_fetch(sql, params, database=database)


def queryset_count(queryset: QuerySet) -> int:
    """`queryset.count()`, read by `server_bound_fetch` on PostgreSQL (see `queryset_fetch`)."""
    database = connections[queryset.db]
    if database.vendor != "postgresql":
        return queryset.count()
    compiled = _compiled(queryset.order_by().values("pk").query, database)
    if compiled is None:
        return 0
    sql, params = compiled
    rows = server_bound_fetch(f"SELECT COUNT(*) FROM ({sql}) AS listed", params, database=database)
    return rows[0][0]


def _compiled(query, database: BaseDatabaseWrapper) -> tuple[str, tuple] | None:
    """The SQL and parameters of `query`, or None when it can have no row (a filter `__in=[]`:
    Django answers such a query without asking). Runs the connection's health check first, as
    Django's own cursors do (only the gate skips it, billing/gate.py)."""
    try:
        sql, params = query.get_compiler(connection=database).as_sql()
    except EmptyResultSet:
        return None
    database.close_if_health_check_failed()
    return sql, tuple(params)
