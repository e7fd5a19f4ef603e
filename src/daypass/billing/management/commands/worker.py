"""`daypass worker`: the sweep every DAYPASS_SWEEP_INTERVAL_SECONDS and the outbox (webhook
deliveries, notification emails) every DAYPASS_DELIVERY_INTERVAL_SECONDS, in a thread of its
own so a long sweep never delays a delivery, until SIGTERM or SIGINT.

Several workers may run against one PostgreSQL: they share each sweep (FOR UPDATE SKIP LOCKED)
without charging a device twice.
"""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from daypass.billing.scheduler import run_sweeps_until_stopped
from daypass.billing.sweep import SweepResult
from daypass.webhooks.scheduler import start_outbox_scheduler


class Command(BaseCommand):
    # Database work only: a sweep must not refuse to run over a check of the web layer.
    requires_system_checks: list[str] = []
    help = "Run the billing sweep on a schedule until stopped (SIGTERM or Ctrl-C)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.DAYPASS_SWEEP_INTERVAL_SECONDS,
            help="seconds between sweeps (default DAYPASS_SWEEP_INTERVAL_SECONDS, %(default)s)",
        )

    def handle(self, *args, interval: float, **options):
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        stop_event = threading.Event()

        def request_stop(signum, frame):
            self.stdout.write(f"{signal.Signals(signum).name}: stopping after the current chunk.")
            stop_event.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self.stdout.write(f"Worker started: a sweep every {interval:g}s. Stop with SIGTERM/Ctrl-C.")
        outbox = start_outbox_scheduler(interval_seconds=settings.DAYPASS_DELIVERY_INTERVAL_SECONDS)
        try:
            run_sweeps_until_stopped(
                interval_seconds=interval, stop_event=stop_event, on_sweep_done=self.print_sweep
            )
        finally:
            # The batch in flight is recorded first (at most one receiver timeout, 15 s).
            outbox.stop(timeout=30)
        self.stdout.write("Worker stopped.")

    def print_sweep(self, result: SweepResult) -> None:
        self.stdout.write(
            f"Sweep at {result.now.isoformat()}: {result.charged} charged, "
            f"{result.failed} blacklisted in {result.seconds:.1f}s"
            + (" (stopped early)" if result.stopped else "")
        )
        self.stdout.flush()
