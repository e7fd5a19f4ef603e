"""`daypass run`: the embedded mode in one command.

Migrates the database, sets it up with the demo data when it is empty, then serves the UI and
the API with gunicorn (one worker process, a pool of threads) and runs the billing scheduler in
a thread of that worker.

Why gunicorn and one gthread worker: it is a production server (graceful restarts, a worker
that is replaced if it dies, access log) that also suits SQLite, which takes one writer at a
time anyway; threads serve concurrent requests. The scheduler thread lives in the worker (the
`post_worker_init` hook), not in the master, because a forked child does not inherit threads:
if the worker is replaced, its successor starts a new scheduler, and there is only ever one.
For PostgreSQL deployments with several app servers see docs/operations.md.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from daypass.customers.management.commands.init import platform_init
from daypass.customers.models import Account, Customer
from daypass.demo.tree import (
    DEMO_ADMIN_USERNAME,
    DEMO_PASSWORD,
    DEMO_PLATFORM_NAME,
)

logger = logging.getLogger("daypass.run")

# gunicorn closes a connection idle this long. Its default, 2 s, raced clients that reuse a
# pooled connection (about 1 request in 8,000 failed with "connection reset" under load, issue
# 12): the server must outlast the client's own idle limit (60 s for common proxies and load
# balancers), so the client is the one that closes. An idle connection costs the gthread worker
# a socket in its poller, not a thread. Clients that keep connections longer than this may
# still meet a closed one: retry, with an Idempotency-Key for writes (docs/api.md).
KEEPALIVE_SECONDS = 75


class Command(BaseCommand):
    help = "Migrate, load the demo data into an empty database, then serve UI + API + scheduler."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument(
            "--threads", type=int, default=8, help="request threads of the worker (default 8)"
        )
        parser.add_argument(
            "--keep-alive",
            type=int,
            default=KEEPALIVE_SECONDS,
            help=f"seconds an idle connection stays open (default {KEEPALIVE_SECONDS})",
        )
        parser.add_argument(
            "--no-demo",
            action="store_true",
            help="on an empty database create only the platform and its admin, no demo tree",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not run the billing sweep and the webhook/email outbox here",
        )

    def handle(self, *args, host: str, port: int, threads: int, keep_alive: int, **options):
        if not 1 <= port <= 65535:
            raise CommandError("--port must be between 1 and 65535.")
        if keep_alive < 1:
            raise CommandError("--keep-alive must be at least 1 second.")
        if threads < 1:
            raise CommandError("--threads must be at least 1.")
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        self.set_up_empty_database(with_demo=not options["no_demo"])
        self.print_login(host=host, port=port)
        # The master forks the worker: no database connection may be shared across the fork.
        connections.close_all()
        DaypassServer(
            host=host,
            port=port,
            threads=threads,
            keepalive=keep_alive,
            with_scheduler=not options["no_scheduler"],
        ).run()

    def set_up_empty_database(self, *, with_demo: bool) -> None:
        if Customer.objects.exists():
            return
        if with_demo:
            self.stdout.write("Empty database: loading the demo data (once).")
            call_command("demo", stdout=self.stdout, stderr=self.stderr)
        else:
            platform_init(
                platform_name=DEMO_PLATFORM_NAME,
                admin_username=DEMO_ADMIN_USERNAME,
                admin_password=DEMO_PASSWORD,
            )
            self.stdout.write(f"Empty database: created the platform and {DEMO_ADMIN_USERNAME!r}.")

    def print_login(self, *, host: str, port: int) -> None:
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(self.style.SUCCESS(f"daypass is serving on http://{shown_host}:{port}/"))
        admin = Account.objects.filter(username=DEMO_ADMIN_USERNAME).first()
        # Only print a password that still works (an operator may have changed it).
        if admin is not None and admin.check_password(DEMO_PASSWORD):
            self.stdout.write(
                self.style.SUCCESS(
                    f"Log in as username {DEMO_ADMIN_USERNAME!r}, password {DEMO_PASSWORD!r}"
                )
            )
        else:
            self.stdout.write("Log in with an account of your platform.")


def start_billing_scheduler(worker) -> None:
    """gunicorn's post_worker_init hook: the sweep on a schedule, in a thread of the worker."""
    try:
        from daypass.billing.scheduler import start_scheduler
    except ImportError:
        logger.warning("The billing scheduler is not available; devices are charged on report.")
        return
    from daypass.webhooks.scheduler import start_outbox_scheduler

    start_scheduler(interval_seconds=settings.DAYPASS_SWEEP_INTERVAL_SECONDS)
    start_outbox_scheduler(interval_seconds=settings.DAYPASS_DELIVERY_INTERVAL_SECONDS)
    logger.info(
        "Billing scheduler started: a sweep every %s s; outbox (webhooks, emails) every %s s.",
        settings.DAYPASS_SWEEP_INTERVAL_SECONDS,
        settings.DAYPASS_DELIVERY_INTERVAL_SECONDS,
    )


def _gunicorn_application_class():
    # Imported here so `daypass` commands other than run never import gunicorn.
    from gunicorn.app.base import BaseApplication

    class DaypassGunicorn(BaseApplication):
        def __init__(self, options: dict):
            self.options = options
            super().__init__()

        def load_config(self):
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self):
            from daypass.wsgi import application

            return application

    return DaypassGunicorn


class DaypassServer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        threads: int,
        with_scheduler: bool,
        keepalive: int = KEEPALIVE_SECONDS,
    ):
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.options = {
            "bind": [bind],
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 120,
            "keepalive": keepalive,
            "graceful_timeout": 20,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "daypass",
            # gunicorn's control socket has one fixed path per user: two servers would collide.
            "control_socket_disable": True,
        }
        if with_scheduler:
            self.options["post_worker_init"] = start_billing_scheduler

    def run(self) -> None:
        _gunicorn_application_class()(self.options).run()
