"""`daypass deliver`: send the webhook deliveries and notification emails due now, once."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from daypass.core import clock
from daypass.webhooks.scheduler import outbox_run_once


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Send the webhook deliveries (and notification emails) that are due now, then exit."

    def handle(self, *args, **options):
        done = outbox_run_once(now=clock.now())
        result = done.webhooks
        self.stdout.write(
            f"Webhooks: {result.claimed} sent, {result.delivered} delivered, "
            f"{result.retrying} to retry, {result.failed} failed"
            + (
                f", endpoints disabled: {', '.join(map(str, result.disabled_endpoints))}"
                if result.disabled_endpoints
                else ""
            )
            + "."
        )
        self.stdout.write(f"Emails: {done.emails}.")
