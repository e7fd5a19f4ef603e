"""API: webhook endpoints and their deliveries (SPEC 12.4). Admins only; see permissions.py."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from daypass.core import clock
from daypass.core.api import ERROR_RESPONSES, page_of
from daypass.core.tenancy import customer_in_scope
from daypass.customers.auth import idempotent
from daypass.webhooks import selectors, services
from daypass.webhooks.schemas import (
    DeliveryListQuery,
    DeliveryOut,
    DeliveryPage,
    TestOut,
    WebhookCreateIn,
    WebhookListQuery,
    WebhookOut,
    WebhookPage,
    WebhookQuery,
    WebhookUpdateIn,
    WebhookWithSecretOut,
)
from daypass.webhooks.shapes import delivery_out, endpoint_out

router = Router(tags=["webhooks"])


@router.get("/webhooks", response={200: WebhookPage, **ERROR_RESPONSES})
def webhook_list(request: HttpRequest, query: Query[WebhookListQuery]):
    """The selected customer's endpoints (your own by default; a sub-customer's read only)."""
    return page_of(selectors.endpoint_list(request.auth, query.customer), query, endpoint_out)


@router.post("/webhooks", response={201: WebhookWithSecretOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def webhook_create(request: HttpRequest, payload: WebhookCreateIn, query: Query[WebhookQuery]):
    """A new endpoint; the answer holds its `secret`, which is never shown again."""
    endpoint, secret = services.endpoint_create(
        actor=request.auth,
        customer=customer_in_scope(request.auth, query.customer),
        url=payload.url,
        events=payload.events,
        include_subcustomers=payload.include_subcustomers,
        now=clock.now(),
    )
    return Status(201, {**endpoint_out(endpoint), "secret": secret})


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **ERROR_RESPONSES})
def webhook_get(request: HttpRequest, webhook_id: int, query: Query[WebhookQuery]):
    return endpoint_out(selectors.endpoint_get(request.auth, webhook_id, query.customer))


@router.patch("/webhooks/{webhook_id}", response={200: WebhookOut, **ERROR_RESPONSES})
def webhook_update(
    request: HttpRequest, webhook_id: int, payload: WebhookUpdateIn, query: Query[WebhookQuery]
):
    endpoint = selectors.endpoint_get(request.auth, webhook_id, query.customer)
    endpoint = services.endpoint_update(
        actor=request.auth,
        endpoint=endpoint,
        url=payload.url,
        events=payload.events,
        include_subcustomers=payload.include_subcustomers,
        enabled=payload.enabled,
        now=clock.now(),
    )
    return endpoint_out(endpoint)


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERROR_RESPONSES})
def webhook_delete(request: HttpRequest, webhook_id: int, query: Query[WebhookQuery]):
    endpoint = selectors.endpoint_get(request.auth, webhook_id, query.customer)
    services.endpoint_delete(actor=request.auth, endpoint=endpoint, now=clock.now())
    return Status(204, None)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response={200: WebhookWithSecretOut, **ERROR_RESPONSES},
)
def webhook_rotate_secret(request: HttpRequest, webhook_id: int, query: Query[WebhookQuery]):
    """A new secret, shown once; the old one keeps signing too for 24 hours."""
    endpoint = selectors.endpoint_get(request.auth, webhook_id, query.customer)
    endpoint, secret = services.endpoint_secret_rotate(
        actor=request.auth, endpoint=endpoint, now=clock.now()
    )
    return {**endpoint_out(endpoint), "secret": secret}


@router.post("/webhooks/{webhook_id}/test", response={202: TestOut, **ERROR_RESPONSES})
def webhook_test(request: HttpRequest, webhook_id: int, query: Query[WebhookQuery]):
    """Queue a `webhook.test` event for this endpoint only, whatever its `events` filter."""
    endpoint = selectors.endpoint_get(request.auth, webhook_id, query.customer)
    event = services.endpoint_test(actor=request.auth, endpoint=endpoint, now=clock.now())
    return Status(202, {"event": event.uid})


@router.get("/webhooks/{webhook_id}/deliveries", response={200: DeliveryPage, **ERROR_RESPONSES})
def webhook_deliveries(request: HttpRequest, webhook_id: int, query: Query[DeliveryListQuery]):
    """The endpoint's deliveries, newest first; `status` filters."""
    endpoint = selectors.endpoint_get(request.auth, webhook_id, query.customer)
    return page_of(selectors.delivery_list(endpoint, query.status), query, delivery_out)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/resend",
    response={202: DeliveryOut, **ERROR_RESPONSES},
)
def webhook_delivery_resend(
    request: HttpRequest, webhook_id: int, delivery_id: int, query: Query[WebhookQuery]
):
    """The same delivery back to `pending`, due now (its attempts keep counting)."""
    endpoint = selectors.endpoint_get(request.auth, webhook_id, query.customer)
    delivery = selectors.delivery_get(endpoint, delivery_id)
    delivery = services.delivery_resend(actor=request.auth, delivery=delivery, now=clock.now())
    return Status(202, delivery_out(delivery))
