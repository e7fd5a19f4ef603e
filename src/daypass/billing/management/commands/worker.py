"""`daypass worker`: the sweep every DAYPASS_SWEEP_INTERVAL_SECONDS and the outbox (webhook
deliveries, notification emails) every DAYPASS_DELIVERY_INTERVAL_SECONDS, in a thread of its
own so a long sweep never delays a delivery, until SIGTERM or SIGINT.

Several workers may run against one PostgreSQL: they share each sweep (FOR UPDATE SKIP LOCKED)
without charging a device twice.

Stopping is bounded. The stop signals are blocked in every thread and taken by the main thread
with `sigwait`, so no signal handler ever runs: a handler that printed and then set an Event
could deadlock when the signal landed while the main thread held that Event's lock inside
`Event.wait()` (the worker that printed "SIGTERM: stopping…" and never stopped, issue 8). The
sweep and the outbox run in threads; after the signal each gets DAYPASS_WORKER_STOP_SECONDS to
finish the chunk or batch in flight. A thread still busy then (a lock wait, a stuck
connection) is abandoned: the process exits, the database rolls back its open transaction, and
what it was doing is done again by the next sweep or round.
"""

from __future__ import annotations

import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from daypass.billing.scheduler import run_sweeps_until_stopped
from daypass.billing.sweep import SweepResult
from daypass.webhooks.scheduler import start_outbox_scheduler

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


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
        grace = settings.DAYPASS_WORKER_STOP_SECONDS
        stop_event = threading.Event()
        # Blocked before any thread starts, so every thread inherits the mask and the signals
        # wait, pending, for the sigwait below.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        self.stdout.write(f"Worker started: a sweep every {interval:g}s. Stop with SIGTERM/Ctrl-C.")
        self.stdout.flush()
        outbox = start_outbox_scheduler(interval_seconds=settings.DAYPASS_DELIVERY_INTERVAL_SECONDS)
        sweeper = threading.Thread(
            target=run_sweeps_until_stopped,
            kwargs={
                "interval_seconds": interval,
                "stop_event": stop_event,
                "on_sweep_done": self.print_sweep,
            },
            name="daypass-sweep",
            daemon=True,
        )
        sweeper.start()
        received = signal.sigwait(STOP_SIGNALS)
        self.stdout.write(
            f"{signal.Signals(received).name}: stopping after the current chunk "
            f"(at most {grace:g}s)."
        )
        self.stdout.flush()
        deadline = time.monotonic() + grace
        stop_event.set()
        outbox.stop_event.set()
        sweeper.join(max(0.0, deadline - time.monotonic()))
        outbox.join(max(0.0, deadline - time.monotonic()))
        busy = [thread.name for thread in (sweeper, outbox) if thread.is_alive()]
        if busy:
            # Daemon threads: the process exits without them; their open transactions roll back.
            self.stdout.write(
                f"Worker stopped after {grace:g}s without waiting further for "
                f"{', '.join(busy)} (its unfinished work is rolled back and done again later)."
            )
        else:
            self.stdout.write("Worker stopped.")
        self.stdout.flush()

    def print_sweep(self, result: SweepResult) -> None:
        self.stdout.write(
            f"Sweep at {result.now.isoformat()}: {result.charged} charged, "
            f"{result.failed} blacklisted in {result.seconds:.1f}s"
            + (" (stopped early)" if result.stopped else "")
        )
        self.stdout.flush()
