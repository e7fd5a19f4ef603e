"""Reads of webhook endpoints and deliveries, scoped to the acting admin's subtree."""

from __future__ import annotations

from django.db.models import QuerySet

from daypass.core.errors import NotFound
from daypass.core.tenancy import customer_in_scope, visible_to
from daypass.customers.models import Account
from daypass.webhooks.models import Delivery, WebhookEndpoint
from daypass.webhooks.permissions import require_webhook_reader


def endpoint_list(actor: Account, customer: str | None) -> QuerySet[WebhookEndpoint]:
    """The endpoints of the selected customer (own by default), oldest first."""
    require_webhook_reader(actor)
    selected = customer_in_scope(actor, customer)
    return WebhookEndpoint.objects.filter(customer=selected).order_by("id")


def endpoint_get(actor: Account, endpoint_id: int, customer: str | None = None) -> WebhookEndpoint:
    """One endpoint in the actor's subtree (of the selected customer if one is named)."""
    require_webhook_reader(actor)
    endpoints = visible_to(actor, WebhookEndpoint.objects.select_related("customer"))
    if customer:
        endpoints = endpoints.filter(customer=customer_in_scope(actor, customer))
    endpoint = endpoints.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(message=f"Webhook {endpoint_id} not found.")
    return endpoint


def delivery_list(endpoint: WebhookEndpoint, status: str | None) -> QuerySet[Delivery]:
    """The endpoint's deliveries, newest first (the endpoint comes from `endpoint_get`)."""
    deliveries = Delivery.objects.filter(endpoint=endpoint).select_related("event")
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-id")


def delivery_get(endpoint: WebhookEndpoint, delivery_id: int) -> Delivery:
    delivery = (
        Delivery.objects.select_related("event", "endpoint__customer")
        .filter(endpoint=endpoint, pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound(message=f"Delivery {delivery_id} not found.")
    return delivery
