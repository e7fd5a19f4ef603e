"""A busy database is an answer, not a crash (issue 12).

A write that waited for a lock longer than the database allows fails with a busy error: SQLite
"database is locked" once `busy_timeout` runs out, PostgreSQL `lock_timeout` (SQLSTATE 55P03)
or `statement_timeout` (57014). Nothing was changed (the transaction rolled back), so the caller
may simply try again. This module recognises those errors in one place:

- the API answers 503 `busy` with `Retry-After` and the error envelope (`daypass.api`);
- the console answers a 503 "try again" page (`DatabaseBusyMiddleware`, below);
- a session whose refresh could not be saved keeps working (`daypass.core.sessions`);
- the sweep and the outbox log and try again at their next round (`log_failed_round`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

from daypass.core.errors import DaypassError, ErrorCode

logger = logging.getLogger("daypass.busy")

BUSY_CODE = ErrorCode.BUSY
# Seconds a client should wait before trying again: the longest batch holds a lock about this
# long (see bench/batches.py), so a retry after it usually finds the database free.
RETRY_AFTER_SECONDS = 2

# SQLite's messages for SQLITE_BUSY (another connection writes) and SQLITE_LOCKED (a shared
# cache table lock); PostgreSQL's SQLSTATEs for lock_timeout and statement_timeout.
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")
POSTGRESQL_BUSY_SQLSTATES = frozenset({"55P03", "57014"})


class DatabaseBusy(DaypassError):
    """The database stayed locked longer than the wait allowed; nothing was changed."""

    code = BUSY_CODE
    retry_after = RETRY_AFTER_SECONDS

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message=message
            or "The database is busy with other work. Nothing was changed; try again shortly."
        )


def is_busy_error(exc: BaseException | None) -> bool:
    """True for a lock wait or statement timeout that ran out, however Django wrapped it."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, DatabaseBusy):
            return True
        if getattr(exc, "sqlstate", None) in POSTGRESQL_BUSY_SQLSTATES:
            return True
        if isinstance(exc, OperationalError) or type(exc).__module__ == "sqlite3":
            text = str(exc).lower()
            if any(message in text for message in SQLITE_BUSY_MESSAGES):
                return True
        # Django re-raises driver errors with the original as the cause; the session backend
        # turns them into UpdateError with the original as the context.
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def log_failed_round(log: logging.Logger, *, what: str, at: datetime, exc: BaseException) -> None:
    """A scheduled round (a sweep, an outbox round) failed: a busy database is a warning (the
    next round tries again; nothing of the failed transaction was written), anything else an
    error with its traceback."""
    if is_busy_error(exc):
        log.warning(
            "%s at %s: the database was busy; trying again at the next round", what, at.isoformat()
        )
    else:
        log.exception("%s at %s failed", what, at.isoformat())


def busy_page(request: HttpRequest) -> HttpResponse:
    """The console's 503 "try again" page (renders without touching the database)."""
    response = HttpResponse(
        loader.render_to_string(
            "503.html",
            {"retry_after": RETRY_AFTER_SECONDS, "retry_url": request.get_full_path()},
        ),
        status=503,
        content_type="text/html; charset=utf-8",
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """A console view that met a busy database answers the "try again" page, not a 500.

    The API answers its own errors (503 `busy` envelope, see `daypass.api`), so only the
    console's views reach `process_exception` here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_busy_error(exception):
            return None
        logger.warning("database busy on %s %s: %s", request.method, request.path, exception)
        return busy_page(request)
