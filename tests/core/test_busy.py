"""A busy database is recognised in one place and answered, never a 500 (issue 12).

The real lock waits are in tests/core/test_busy_server.py (SQLite, a live server) and
tests/api/test_busy_postgresql.py (PostgreSQL lock_timeout).
"""

import logging
import sqlite3
import threading

from django.contrib.sessions.backends.base import UpdateError
from django.db import OperationalError

from daypass.billing import scheduler
from daypass.billing.sweep import SweepResult
from daypass.core.busy import DatabaseBusy, is_busy_error
from tests.factories import NOW


class PostgresError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__("canceling statement")
        self.sqlstate = sqlstate


def wrapped(cause: BaseException) -> OperationalError:
    """As Django raises a driver's error: its own class, the driver's as the cause."""
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as exc:
        return exc


def test_sqlite_locked_and_postgresql_timeouts_are_busy():
    assert is_busy_error(wrapped(sqlite3.OperationalError("database is locked")))
    assert is_busy_error(wrapped(PostgresError("55P03")))  # lock_timeout
    assert is_busy_error(wrapped(PostgresError("57014")))  # statement_timeout
    assert is_busy_error(DatabaseBusy())


def test_a_busy_error_hidden_behind_the_session_backend_is_still_busy():
    try:
        try:
            raise wrapped(sqlite3.OperationalError("database is locked"))
        except OperationalError:
            raise UpdateError  # noqa: B904 - as django.contrib.sessions.backends.db does
    except UpdateError as exc:
        assert is_busy_error(exc)


def test_other_database_errors_are_not_busy():
    assert not is_busy_error(wrapped(sqlite3.OperationalError("no such table: x")))
    assert not is_busy_error(wrapped(PostgresError("42P01")))
    assert not is_busy_error(ValueError("database is locked"))
    assert not is_busy_error(None)


def test_a_busy_sweep_is_a_warning_and_the_next_round_runs(monkeypatch, caplog):
    stop = threading.Event()
    attempts = []

    def busy_then_fine(*, now, **kwargs):
        attempts.append(now)
        if len(attempts) == 1:
            raise wrapped(sqlite3.OperationalError("database is locked"))
        stop.set()
        return SweepResult(now=NOW)

    monkeypatch.setattr(scheduler, "sweep_run", busy_then_fine)
    # The months ahead of the deductions are another round's step (tested in
    # tests/billing/test_partitions.py); here the sweep alone meets a busy database.
    monkeypatch.setattr(scheduler, "deduction_partitions_ensure", lambda **kwargs: [])

    with caplog.at_level(logging.INFO, logger="daypass.billing.scheduler"):
        scheduler.run_sweeps_until_stopped(interval_seconds=0.01, stop_event=stop)

    assert len(attempts) == 2
    (warning,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.levelno == logging.WARNING
    assert "busy" in warning.getMessage()
    assert warning.exc_info is None
