"""The sweep on a schedule: a background thread for `daypass run`, a loop for `daypass worker`.

Nothing here starts on import; `daypass run` calls `start_scheduler`, `daypass worker` calls
`run_sweeps_until_stopped` in its main thread.
"""

from __future__ import annotations

import logging
import threading

from django.db import connection

from daypass.billing.partitions import deduction_partitions_ensure
from daypass.billing.sweep import ProgressCallback, SweepResult, sweep_run
from daypass.core import clock
from daypass.core.busy import log_failed_round

logger = logging.getLogger("daypass.billing.scheduler")


def run_sweeps_until_stopped(
    *,
    interval_seconds: float,
    stop_event: threading.Event,
    progress: ProgressCallback | None = None,
    on_sweep_done: ProgressCallback | None = None,
) -> None:
    """Sweep now, then every `interval_seconds`, until `stop_event` is set.

    A sweep that fails is logged (a busy database as a warning) and the next one runs on time:
    one bad chunk must not stop daily charging for everyone. Setting `stop_event` ends a
    running sweep between chunks.
    """
    while not stop_event.is_set():
        started = clock.now()
        try:
            # The deductions' months ahead (PostgreSQL; a no-op of two small queries when
            # they exist). A failure is logged and the sweep still runs: its rows would go to
            # the DEFAULT partition, and the next round moves them into their month.
            deduction_partitions_ensure(now=started)
        except Exception as exc:
            log_failed_round(logger, what="deduction partitions", at=started, exc=exc)
        try:
            result = sweep_run(now=started, progress=progress, stop_event=stop_event)
        except Exception as exc:
            # Nothing of a failed chunk was written; its devices stay due.
            log_failed_round(logger, what="sweep", at=started, exc=exc)
        else:
            if on_sweep_done is not None:
                on_sweep_done(result)
            else:
                _log_sweep(result)
        finally:
            # The thread may sleep for minutes: give the connection back rather than hold it.
            connection.close()
        stop_event.wait(interval_seconds)


def _log_sweep(result: SweepResult) -> None:
    logger.info(
        "sweep at %s: %d charged, %d blacklisted in %.1fs%s",
        result.now.isoformat(),
        result.charged,
        result.failed,
        result.seconds,
        " (stopped)" if result.stopped else "",
    )


class SchedulerThread(threading.Thread):
    """The built-in scheduler of `daypass run`. `stop()` ends it between chunks."""

    def __init__(self, *, interval_seconds: float):
        super().__init__(name="daypass-sweep-scheduler", daemon=True)
        self.interval_seconds = interval_seconds
        self.stop_event = threading.Event()

    def run(self) -> None:
        run_sweeps_until_stopped(interval_seconds=self.interval_seconds, stop_event=self.stop_event)

    def stop(self, timeout: float | None = None) -> None:
        self.stop_event.set()
        self.join(timeout)


def start_scheduler(*, interval_seconds: float) -> SchedulerThread:
    """Start sweeping every `interval_seconds` in a daemon thread; returns the running thread."""
    thread = SchedulerThread(interval_seconds=interval_seconds)
    thread.start()
    return thread
