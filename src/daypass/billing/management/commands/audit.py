"""`daypass audit`: check the ledger (SPEC 4.4); exits 1 naming what is wrong."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from daypass.billing.ledger_audit import ledger_audit
from daypass.devices.models import Device
from daypass.licenses.models import License


class Command(BaseCommand):
    help = (
        "Check every license (total - available = successful deductions; total = issued + "
        "top-ups) and every device (no overlapping paid windows). Exits 1 if anything is wrong."
    )
    # Database work only: the audit must run even if the web layer's checks would fail.
    requires_system_checks: list[str] = []

    def handle(self, *args, **options):
        self.stdout.write(
            f"Checking {License.objects.count()} licenses and the windows of "
            f"{Device.objects.count()} devices…"
        )
        problems = ledger_audit()
        if not problems:
            self.stdout.write(self.style.SUCCESS("Ledger audit: no problems."))
            return
        # The problems go to stdout (the report); the verdict to stderr as well, for cron mail.
        for problem in problems:
            self.stdout.write(str(problem))
        verdict = f"Ledger audit: {len(problems)} problem(s)."
        self.stdout.write(self.style.ERROR(verdict))
        self.stderr.write(verdict)
        sys.exit(1)
