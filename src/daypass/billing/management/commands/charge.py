"""`daypass charge`: one sweep now (SPEC 4.2), with progress and totals."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from daypass.billing.sweep import SweepResult, sweep_run
from daypass.core import clock


class Command(BaseCommand):
    # Database work only: a sweep must not refuse to run over a check of the web layer.
    requires_system_checks: list[str] = []
    help = "Charge every device that is due now (one sweep), printing progress and totals."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=settings.DAYPASS_SWEEP_CHUNK_SIZE,
            help="devices per transaction (default DAYPASS_SWEEP_CHUNK_SIZE, %(default)s)",
        )

    def handle(self, *args, chunk_size: int, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        now = clock.now()
        self.stdout.write(f"Sweep at {now.isoformat()}: charging every device due by then.")
        quiet = options["verbosity"] == 0
        result = sweep_run(
            now=now, chunk_size=chunk_size, progress=None if quiet else self.print_progress
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {result.charged} charged, {result.failed} blacklisted (no valid license), "
                f"{result.chunks} chunks in {result.seconds:.1f}s; "
                f"{result.events} events written in {result.events_seconds:.2f}s."
            )
        )

    def print_progress(self, result: SweepResult) -> None:
        rate = result.devices / result.seconds if result.seconds else 0
        self.stdout.write(
            f"  chunk {result.chunks}: {result.charged} charged, {result.failed} blacklisted, "
            f"{result.seconds:.1f}s, {rate:,.0f} devices/s"
        )
