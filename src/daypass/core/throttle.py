"""Login throttling: too many failed logins per username or per address in a window → refused.

Failed logins are written as audit events (`login.failed`, target = username, with the client
address), and the throttle counts those rows. That keeps one source of truth, needs no cache
server, and works across every gunicorn worker and app server sharing the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q

from daypass.core.audit import audit_record
from daypass.core.errors import DaypassError
from daypass.core.models import AuditEvent

LOGIN_FAILURE_LIMIT = 10
# Higher per address: many people may share one (an office behind NAT), and one person's typos
# should not lock out the rest.
ADDRESS_FAILURE_LIMIT = 50
LOGIN_FAILURE_WINDOW = timedelta(minutes=5)
LOGIN_FAILED_ACTION = "login.failed"


class LoginThrottled(DaypassError):
    code = "throttled"


def login_throttled(*, username: str, address: str | None, now: datetime) -> bool:
    """True if `username` or `address` reached its failure limit within the window."""
    address_filter = Q(ip_address=address) if address else Q(pk__in=[])
    counts = AuditEvent.objects.filter(
        action=LOGIN_FAILED_ACTION, at__gt=now - LOGIN_FAILURE_WINDOW
    ).aggregate(
        by_username=Count("pk", filter=Q(target=username[:255])),
        by_address=Count("pk", filter=address_filter),
    )
    return (
        counts["by_username"] >= LOGIN_FAILURE_LIMIT
        or counts["by_address"] >= ADDRESS_FAILURE_LIMIT
    )


def login_failure_record(*, username: str, address: str | None, now: datetime) -> None:
    audit_record(
        actor=None,
        action=LOGIN_FAILED_ACTION,
        now=now,
        target=username,
        ip_address=address,
    )
