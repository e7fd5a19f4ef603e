"""Audit events: every service writes one, in the same transaction as its change."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from daypass.core.models import AuditEvent
from daypass.core.request_context import client_ip

if TYPE_CHECKING:
    from daypass.customers.models import Account, Customer


def audit_record(
    *,
    actor: Account | None,
    action: str,
    now: datetime,
    target: str = "",
    acting_customer: Customer | None = None,
    ip_address: str | None = None,
    **details: Any,
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=now,
        actor=actor,
        actor_username=actor.username if actor is not None else "",
        acting_customer=acting_customer
        if acting_customer is not None
        else (actor.customer if actor is not None else None),
        action=action,
        target=target[:255],
        details=details,
        ip_address=ip_address if ip_address is not None else client_ip.get(),
    )
