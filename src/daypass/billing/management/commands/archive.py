"""`daypass archive --before DATE`: old deductions to a compressed CSV file (SPEC 11)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from daypass.billing.archive import LedgerNotClean, deductions_archive
from daypass.core import clock
from daypass.core.errors import DaypassError


def before_instant(value: str) -> datetime:
    """`YYYY-MM-DD` (midnight UTC starting that day) or an ISO 8601 instant (UTC if naive)."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
        instant = datetime.fromisoformat(value)
    except ValueError:
        message = f"--before {value!r} is neither YYYY-MM-DD nor an ISO 8601 instant."
        raise CommandError(message) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Write every deduction before DATE to a gzip-compressed CSV file and remove it from the "
        "database, keeping its sums in the ledger checkpoints (daypass audit still proves every "
        "license). Audits first; refuses an unclean ledger."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="YYYY-MM-DD or an ISO 8601 instant")
        parser.add_argument(
            "--directory", default=".", help="where to write the .csv.gz file (default: here)"
        )

    def handle(self, *args, before: str, directory: str, **options):
        instant = before_instant(before)
        self.stdout.write(f"Archiving the deductions before {instant.isoformat()}…")
        try:
            result = deductions_archive(before=instant, directory=Path(directory), now=clock.now())
        except LedgerNotClean as error:
            for problem in error.problems:
                self.stdout.write(str(problem))
            self.stderr.write(error.message)
            sys.exit(1)
        except DaypassError as error:
            raise CommandError(error.message) from None
        if result.rows == 0:
            self.stdout.write("Nothing to archive.")
            return
        self.stdout.write(
            self.style.SUCCESS(f"Archived {result.rows} deductions to {result.path}.")
        )
