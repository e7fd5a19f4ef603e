"""The JSON shapes of webhooks (SPEC 12.3, 12.4): endpoints, deliveries, and the event body."""

from __future__ import annotations

from typing import Any

from daypass.webhooks.models import Delivery, WebhookEndpoint


def endpoint_out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The endpoint shape of SPEC 12.3 (id, url, events, include_subcustomers, enabled, ...).

    Also the `webhook` of a `webhook.disabled` event. Never the secret.
    """
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "include_subcustomers": endpoint.include_subcustomers,
        "enabled": endpoint.enabled,
        "created_at": _instant(endpoint.created_at),
        "disabled_reason": endpoint.disabled_reason or None,
    }


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "event": delivery.event.uid,
        "type": delivery.event.type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": _instant(delivery.next_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error or None,
        "delivered_at": _instant(delivery.delivered_at),
    }


def _instant(value) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")
