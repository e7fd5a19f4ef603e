"""Where new events go besides the events table: inboxes, webhook deliveries.

An app registers a sink once (in its `AppConfig.ready()`); every emit calls each sink with the
primary keys of the events it just wrote and the same `now`, inside the same transaction, so a
rolled-back cause leaves neither the events nor what the sinks wrote for them. A sink works
set-based on the ids (one or a few statements, whatever their number).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Sink = Callable[[list[int], datetime], None]

_sinks: list[Sink] = []


def register_sink(fn: Sink) -> Sink:
    """Register `fn(event_ids, now)`; registering the same function twice keeps one."""
    if fn not in _sinks:
        _sinks.append(fn)
    return fn


def run_sinks(event_ids: list[int], now: datetime) -> None:
    if not event_ids:
        return
    for sink in list(_sinks):
        sink(event_ids, now)
