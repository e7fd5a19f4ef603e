"""Liveness of refused devices (SPEC 14): recording the gate's refusals, written behind.

The gate hands the refused devices due for a recording to `refusals_record`. With
`DAYPASS_REFUSALS_FLUSH_SECONDS` > 0 (production) they wait in this process's buffer and a
background thread writes the buffer every that many seconds in one set-based UPDATE; with 0 they
are written at once, in the gate's call. Either way the write is `refusals_flush`, whose WHERE
repeats the one-a-minute condition per device, so whatever the buffers of several processes (or
gateways) hold, a device is written at most once per minute.

Liveness is bookkeeping, not money: the write commits with `synchronous_commit = off`, and what a
process buffered is lost if it is killed (at most the last few seconds' recordings; the next
refusal of those devices is recorded then). A process that exits normally flushes first
(`atexit`). A forked child starts with an empty buffer and a flusher of its own.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction

from daypass.devices.models import Device

# A refusal less than this after the last recorded one is not recorded, so the gate writes a
# refused device at most once per interval.
REFUSAL_RECORD_INTERVAL = timedelta(minutes=1)
DEADLOCK_DETECTED = "40P01"

logger = logging.getLogger(__name__)

# device id -> the instant of its refusal waiting to be written. Added to under the lock; a flush
# takes the whole dict and leaves an empty one.
_pending: dict[int, datetime] = {}
_lock = threading.Lock()
_write_lock = threading.Lock()
_flusher: _Flusher | None = None


def refusal_pending_since(device_id: int) -> datetime | None:
    """The instant of this device's refusal waiting in this process's buffer, if any."""
    return _pending.get(device_id)


def refusals_record(*, device_ids: list[int], now: datetime) -> None:
    """Record a refusal at `now` of each device (ids due for a recording, without repeats)."""
    interval = settings.DAYPASS_REFUSALS_FLUSH_SECONDS
    if interval <= 0:
        _write(dict.fromkeys(device_ids, now))
        return
    with _lock:
        # A device already waiting keeps its earlier instant: the later refusal is less than a
        # minute after it (the gate checked), so it is not to be recorded. Added in place (a
        # copy would cost the whole buffer per call); the gate's reads need no lock, a dict
        # lookup being atomic under the GIL.
        pending = _pending
        for device_id in device_ids:
            pending.setdefault(device_id, now)
        _flusher_running(interval)


def refusals_flush() -> int:
    """Write this process's buffered refusals now, in the caller's thread; rows written.

    The flusher thread calls it every few seconds; tests and benchmarks call it to see the
    values at once.
    """
    global _pending
    # One write at a time in a process: a flush returns when whatever the flusher thread took
    # before it is written too.
    with _write_lock:
        with _lock:
            pending, _pending = _pending, {}
        return _write(pending) if pending else 0


def refusals_discard() -> None:
    """Forget the buffered refusals and stop the flusher (tests: neither may outlive its test's
    database and settings)."""
    global _pending, _flusher
    with _lock:
        _pending = {}
        flusher, _flusher = _flusher, None
    if flusher is not None and flusher.pid == os.getpid():
        flusher.stop()


def _write(pending: dict[int, datetime]) -> int:
    """One UPDATE for all: each device gets its refusal instant and one more recorded refusal,
    unless a refusal was recorded less than a minute before that instant, or the device is no
    longer blacklisted since then.

    The condition is checked in the UPDATE itself, so concurrent writers (gateways, processes)
    recording the same device in the same minute record it once: the second waits for the
    first's row lock, then finds the refusal recorded. Ids are sent in order; should PostgreSQL
    still pick a deadlock victim (its plan decides the order of the row locks), the victim's
    bookkeeping is dropped (the next refusal of those devices is recorded) rather than failing.
    """
    table = connection.ops.quote_name(Device._meta.db_table)
    ids = sorted(pending)
    if connection.vendor == "postgresql":
        rows = (
            "unnest(%s::bigint[], %s::timestamptz[]) AS r(id, refused_at)",
            [ids, [pending[pk] for pk in ids]],
        )
        recorded_before = "r.refused_at - %s"
        params_tail = [REFUSAL_RECORD_INTERVAL]
    else:
        adapt = connection.ops.adapt_datetimefield_value
        triples = [
            [pk, adapt(pending[pk]), adapt(pending[pk] - REFUSAL_RECORD_INTERVAL)] for pk in ids
        ]
        rows = (
            "(SELECT value ->> 0 AS id, value ->> 1 AS refused_at, value ->> 2 AS recorded_before"
            " FROM json_each(%s)) AS r",
            [json.dumps(triples)],
        )
        recorded_before = "r.recorded_before"
        params_tail = []
    sql = (
        f"UPDATE {table} SET last_refused_at = r.refused_at,"
        f" refused_reports = {table}.refused_reports + 1"
        f" FROM {rows[0]}"
        f" WHERE {table}.id = r.id AND ({table}.last_refused_at IS NULL"
        f" OR {table}.last_refused_at <= {recorded_before})"
        # Still refused as at the refusal: a refusal waiting in a buffer while the blacklist
        # was lifted belongs to before the lift, whose count starts at 0.
        f" AND {table}.blacklisted AND {table}.blacklisted_at <= r.refused_at"
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Bookkeeping, not money: the commit need not wait for the disk (a crash may
                # forget the last moment's refusals, never a charge).
                cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(sql, [*rows[1], *params_tail])
            return cursor.rowcount
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != DEADLOCK_DETECTED:
            raise
        logger.warning("gate: refusals of %d devices not recorded (deadlock)", len(ids))
        return 0


class _Flusher(threading.Thread):
    """Writes the buffer every `interval` seconds; a last time when stopped."""

    def __init__(self, interval: float):
        super().__init__(name="daypass-refusals-flusher", daemon=True)
        self.interval = interval
        self.pid = os.getpid()
        self.stop_event = threading.Event()

    def run(self) -> None:
        from django.db import close_old_connections, connections

        try:
            while not self.stop_event.wait(self.interval):
                self._flush_once(close_old_connections)
            self._flush_once(close_old_connections)
        finally:
            connections.close_all()

    @staticmethod
    def _flush_once(close_old_connections) -> None:
        # A dead connection (the database restarted) is replaced before the write; a write
        # that fails anyway is logged and dropped: the next refusals of those devices are
        # recorded then.
        close_old_connections()
        try:
            refusals_flush()
        except Exception:
            logger.exception("gate: buffered refusals not recorded")

    def stop(self, timeout: float | None = None) -> None:
        self.stop_event.set()
        self.join(timeout)


def _flusher_running(interval: float) -> None:
    """Start this process's flusher on its first buffered refusal (caller holds the lock)."""
    global _flusher
    if _flusher is None or _flusher.pid != os.getpid() or not _flusher.is_alive():
        _flusher = _Flusher(interval)
        _flusher.start()


def _stop_at_exit() -> None:
    flusher = _flusher
    if flusher is not None and flusher.pid == os.getpid() and flusher.is_alive():
        flusher.stop(timeout=10)
    elif _pending:
        refusals_flush()


def _forget_in_child() -> None:
    # The parent still holds (and writes) what it buffered; the child starts afresh.
    global _pending, _flusher, _lock, _write_lock
    _pending, _flusher, _lock, _write_lock = {}, None, threading.Lock(), threading.Lock()


atexit.register(_stop_at_exit)
os.register_at_fork(after_in_child=_forget_in_child)
