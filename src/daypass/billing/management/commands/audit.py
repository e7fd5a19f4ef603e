"""`daypass audit`: check the ledger (SPEC 4.4); exits 1 naming what is wrong."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from daypass.billing.ledger_audit import ledger_audit


class Command(BaseCommand):
    # Database work only: a sweep must not refuse to run over a check of the web layer.
    requires_system_checks: list[str] = []
    help = (
        "Check every license (total - available = successful deductions; total = issued + "
        "top-ups) and every device (no overlapping paid windows). Exits 1 if anything is wrong."
    )

    def handle(self, *args, **options):
        problems = ledger_audit()
        if not problems:
            self.stdout.write(self.style.SUCCESS("Ledger audit: no problems."))
            return
        for problem in problems:
            self.stderr.write(str(problem))
        self.stderr.write(self.style.ERROR(f"Ledger audit: {len(problems)} problem(s)."))
        sys.exit(1)
