"""Console sessions that survive a busy database (issue 12).

Django's database sessions turn any error of the save at the end of a request into
`UpdateError`, which its middleware reports as `SessionInterrupted` ("the session was deleted…
the user may have logged out"): a 400 with a misleading message when the database was merely
busy. Here, with SESSION_SAVE_EVERY_REQUEST, most saves only push the idle expiry forward: such
a save is skipped when the database is busy (the session stays valid; the next request refreshes
it). A save that carries a change (sign-in, language…) answers the console's 503 "try again"
page instead, so nothing is silently lost.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import DatabaseError

from daypass.core.busy import DatabaseBusy, busy_page, is_busy_error

logger = logging.getLogger("daypass.busy")


class SessionStore(DatabaseSessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except (UpdateError, DatabaseError) as exc:
            if not is_busy_error(exc):
                raise
            if must_create or self.modified:
                raise DatabaseBusy() from exc
            logger.info("database busy: skipped refreshing the expiry of a session")


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, answering the "try again" page when a change cannot be saved."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except DatabaseBusy:
            logger.warning("database busy: could not save the session of %s", request.path)
            return busy_page(request)
