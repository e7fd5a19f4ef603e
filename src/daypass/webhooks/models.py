"""Webhook endpoints and their deliveries (the outbox: one row per event and endpoint)."""

from django.db import models
from django.db.models import Q


class WebhookEndpoint(models.Model):
    """Where a customer's admin wants its events POSTed (SPEC 12.3).

    Secrets are stored encrypted (`daypass.webhooks.secrets`); after a rotation the previous
    secret keeps signing, next to the new one, until `previous_secret_expires_at`.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.CharField(max_length=2000)
    # ",type1,type2," or "" for every type: one text column the routing query matches with LIKE
    # on SQLite and PostgreSQL alike. `events` is the list the API shows.
    event_types = models.TextField(blank=True, default="")
    include_subcustomers = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    secret_encrypted = models.TextField()
    previous_secret_encrypted = models.TextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # The first failed attempt after the last success (None: the last attempt succeeded, or
    # none failed yet). Five days of failures from here disable the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["customer", "id"], name="webhook_endpoint_customer")]

    def __str__(self) -> str:
        return f"webhook {self.pk} {self.url}"

    @property
    def events(self) -> list[str]:
        return [name for name in self.event_types.split(",") if name]

    @staticmethod
    def event_types_text(events: list[str]) -> str:
        return f",{','.join(sorted(set(events)))}," if events else ""


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One event for one endpoint: pending until a 2xx answer, failed after the eighth attempt."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    # The first 1 KB of the last answer's body, for the integrator's debugging.
    last_response_body = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The outbox scan: pending deliveries in claim order (due time, then id), and
            # nothing else, so `ORDER BY … LIMIT 200` reads 200 index entries and no sort.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="delivery_due",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "status", "id"], name="delivery_endpoint_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_endpoint_event")
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"
