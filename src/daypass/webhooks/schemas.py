"""API shapes of webhook endpoints and deliveries (SPEC 12.4)."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

from daypass.core.schemas import InputSchema, PageQuery
from daypass.webhooks.url_rules import URL_MAX_LENGTH

DeliveryStatusName = Literal["pending", "delivered", "failed"]
MAX_EVENT_TYPES = 20


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    include_subcustomers: bool
    enabled: bool
    created_at: str
    disabled_reason: str | None


class WebhookWithSecretOut(WebhookOut):
    secret: str


class WebhookPage(Schema):
    items: list[WebhookOut]
    count: int


class WebhookCreateIn(InputSchema):
    url: str = Field(min_length=1, max_length=URL_MAX_LENGTH)
    events: list[str] = Field(default_factory=list, max_length=MAX_EVENT_TYPES)
    include_subcustomers: bool = False


class WebhookUpdateIn(InputSchema):
    url: str | None = Field(None, min_length=1, max_length=URL_MAX_LENGTH)
    events: list[str] | None = Field(None, max_length=MAX_EVENT_TYPES)
    include_subcustomers: bool | None = None
    enabled: bool | None = None


class WebhookQuery(Schema):
    customer: str | None = None


class WebhookListQuery(PageQuery):
    customer: str | None = None


class DeliveryListQuery(PageQuery):
    customer: str | None = None
    status: DeliveryStatusName | None = None


class TestOut(Schema):
    event: str


class DeliveryOut(Schema):
    id: int
    event: str
    type: str
    status: DeliveryStatusName
    attempts: int
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: str | None


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    count: int
