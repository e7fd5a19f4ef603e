"""`daypass audit [--full]`: check the ledger (SPEC 4.4, 11); exits 1 naming what is wrong."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from daypass.billing.ledger_audit import (
    ledger_audit,
    ledger_checkpoint,
    ledger_checkpoint_advance,
)
from daypass.core import clock
from daypass.devices.models import Device
from daypass.licenses.models import License


class Command(BaseCommand):
    help = (
        "Check every license (total - available = successful deductions; total = issued + "
        "top-ups) and every device (no overlapping paid windows). Incremental: deductions "
        "before the last checkpoint are taken from it; --full re-reads every deduction and "
        "checks the checkpoints too. A clean audit moves the checkpoint to a day ago. Exits 1 "
        "if anything is wrong."
    )
    # Database work only: the audit must run even if the web layer's checks would fail.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="re-prove everything: every deduction still stored, archived sums, checkpoints",
        )
        parser.add_argument(
            "--no-checkpoint",
            action="store_true",
            help="do not move the checkpoint forward after a clean audit",
        )

    def handle(self, *args, full: bool = False, no_checkpoint: bool = False, **options):
        checkpoint = ledger_checkpoint()
        if full or checkpoint is None:
            scope = "every stored deduction" + (" and the checkpoints" if checkpoint else "")
        else:
            scope = f"the deductions since the checkpoint of {checkpoint.through:%Y-%m-%d %H:%M}"
        self.stdout.write(
            f"Checking {License.objects.count()} licenses and the windows of "
            f"{Device.objects.count()} devices ({scope})…"
        )
        problems = ledger_audit(full=full)
        if not problems:
            self.stdout.write(self.style.SUCCESS("Ledger audit: no problems."))
            if not no_checkpoint:
                through = ledger_checkpoint_advance(now=clock.now())
                self.stdout.write(f"Checkpoint: deductions before {through:%Y-%m-%d %H:%M} proven.")
            return
        # The problems go to stdout (the report); the verdict to stderr as well, for cron mail.
        for problem in problems:
            self.stdout.write(str(problem))
        verdict = f"Ledger audit: {len(problems)} problem(s)."
        self.stdout.write(self.style.ERROR(verdict))
        self.stderr.write(verdict)
        sys.exit(1)
