"""Audit events: every service writes one, in the same transaction as its change."""

from __future__ import annotations

from collections.abc import Sequence
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


def audit_record_many(
    *, actor: Account | None, action: str, now: datetime, targets: Sequence[tuple[str, dict]]
) -> None:
    """One audit event per (target, details) of a batch, as `audit_record` writes one, inserted
    together (a batch bind or blacklist lift of thousands)."""
    address = client_ip.get()
    acting_customer = actor.customer if actor is not None else None
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                at=now,
                actor=actor,
                actor_username=actor.username if actor is not None else "",
                acting_customer=acting_customer,
                action=action,
                target=target[:255],
                details=details,
                ip_address=address,
            )
            for target, details in targets
        ],
        batch_size=1000,
    )
