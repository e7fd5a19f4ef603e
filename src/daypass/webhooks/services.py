"""Writes on webhook endpoints and deliveries (SPEC 12.3, 12.4).

Every service takes the acting admin, checks `permissions.require_webhook_writer`, runs in one
transaction and writes an audit event. Secrets are returned in clear only by `endpoint_create`
and `endpoint_secret_rotate`, which is the only time anyone sees them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from daypass.core.audit import audit_record
from daypass.core.errors import ValidationFailed
from daypass.customers.models import Account, Customer
from daypass.events.emit import event_emit
from daypass.events.models import Event
from daypass.events.types import EventType
from daypass.webhooks.endpoint_secrets import secret_encrypt, secret_generate
from daypass.webhooks.models import Delivery, DeliveryStatus, WebhookEndpoint
from daypass.webhooks.permissions import require_webhook_writer
from daypass.webhooks.url_rules import webhook_url_validate

# After a rotation the previous secret signs too, for this long (SPEC 12.3).
PREVIOUS_SECRET_LIFETIME = timedelta(hours=24)
EVENT_TYPES = frozenset(str(event_type) for event_type in EventType)
MAX_ENDPOINTS_PER_CUSTOMER = 20


def _event_types(events: list[str]) -> str:
    unknown = [name for name in events if name not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed(
            message=f"events: unknown event type {unknown[0]!r}; known: {sorted(EVENT_TYPES)}.",
            field="events",
        )
    return WebhookEndpoint.event_types_text(events)


@transaction.atomic
def endpoint_create(
    *,
    actor: Account,
    customer: Customer,
    url: str,
    events: list[str],
    include_subcustomers: bool,
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """A new enabled endpoint and its secret (shown once)."""
    require_webhook_writer(actor, customer)
    event_types = _event_types(events)
    url = webhook_url_validate(url)
    if WebhookEndpoint.objects.filter(customer=customer).count() >= MAX_ENDPOINTS_PER_CUSTOMER:
        raise ValidationFailed(
            message=f"A customer has at most {MAX_ENDPOINTS_PER_CUSTOMER} webhook endpoints.",
            field="url",
        )
    secret = secret_generate()
    endpoint = WebhookEndpoint.objects.create(
        customer=customer,
        url=url,
        event_types=event_types,
        include_subcustomers=include_subcustomers,
        secret_encrypted=secret_encrypt(secret),
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="webhook.create",
        now=now,
        target=str(endpoint.pk),
        url=url,
        events=endpoint.events,
        include_subcustomers=include_subcustomers,
    )
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *,
    actor: Account,
    endpoint: WebhookEndpoint,
    now: datetime,
    url: str | None = None,
    events: list[str] | None = None,
    include_subcustomers: bool | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change any of the four; re-enabling clears `disabled_reason` and the failure clock."""
    require_webhook_writer(actor, endpoint.customer)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    changed: dict[str, object] = {}
    if url is not None and url != endpoint.url:
        endpoint.url = webhook_url_validate(url)
        changed["url"] = url
    if events is not None:
        event_types = _event_types(events)
        if event_types != endpoint.event_types:
            endpoint.event_types = event_types
            changed["events"] = endpoint.events
    if include_subcustomers is not None and include_subcustomers != endpoint.include_subcustomers:
        endpoint.include_subcustomers = include_subcustomers
        changed["include_subcustomers"] = include_subcustomers
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = enabled
        endpoint.disabled_reason = ""
        endpoint.failing_since = None
        changed["enabled"] = enabled
    if changed:
        endpoint.save()
        audit_record(
            actor=actor, action="webhook.update", now=now, target=str(endpoint.pk), **changed
        )
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: Account, endpoint: WebhookEndpoint, now: datetime) -> None:
    """Remove the endpoint and its deliveries (pending ones are never sent)."""
    require_webhook_writer(actor, endpoint.customer)
    audit_record(
        actor=actor, action="webhook.delete", now=now, target=str(endpoint.pk), url=endpoint.url
    )
    endpoint.delete()


@transaction.atomic
def endpoint_secret_rotate(
    *, actor: Account, endpoint: WebhookEndpoint, now: datetime
) -> tuple[WebhookEndpoint, str]:
    """A new secret (shown once); the old one keeps signing next to it for 24 hours."""
    require_webhook_writer(actor, endpoint.customer)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = secret_generate()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_LIFETIME
    endpoint.secret_encrypted = secret_encrypt(secret)
    endpoint.save(
        update_fields=[
            "secret_encrypted",
            "previous_secret_encrypted",
            "previous_secret_expires_at",
        ]
    )
    audit_record(actor=actor, action="webhook.rotate_secret", now=now, target=str(endpoint.pk))
    return endpoint, secret


@transaction.atomic
def endpoint_test(*, actor: Account, endpoint: WebhookEndpoint, now: datetime) -> Event:
    """Emit `webhook.test` and queue it for this endpoint only, whatever its `events` filter."""
    require_webhook_writer(actor, endpoint.customer)
    event = event_emit(type=EventType.WEBHOOK_TEST, customer=endpoint.customer, data={}, now=now)
    Delivery.objects.create(endpoint=endpoint, event=event, next_attempt_at=now, created_at=now)
    audit_record(
        actor=actor, action="webhook.test", now=now, target=str(endpoint.pk), event=event.uid
    )
    return event


@transaction.atomic
def delivery_resend(*, actor: Account, delivery: Delivery, now: datetime) -> Delivery:
    """The same delivery back to `pending`, due now; its attempts keep counting."""
    require_webhook_writer(actor, delivery.endpoint.customer)
    updated = Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, delivered_at=None
    )
    if updated:
        delivery.refresh_from_db(fields=["status", "next_attempt_at", "delivered_at", "attempts"])
    audit_record(
        actor=actor,
        action="webhook.resend",
        now=now,
        target=str(delivery.endpoint_id),
        delivery=delivery.pk,
        event=delivery.event.uid,
    )
    return delivery
