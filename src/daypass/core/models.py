from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who did what, acting for which customer, when, from where. Append-only."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Denormalised so the event stays readable if the account is removed.
    actor_username = models.CharField(max_length=150, blank=True)
    acting_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["acting_customer", "at"], name="audit_customer_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.target}"


class IdempotencyRecord(models.Model):
    """The first answer to a state-changing POST, replayed for a repeat with the same key."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "key"], name="idempotency_account_key_unique"
            )
        ]


class LoginCounter(models.Model):
    """Sign-in attempts of one throttle key (a hash of username+address, or of an address) in
    the window that started at `window_start` (see core.throttle)."""

    key = models.CharField(max_length=64, unique=True)
    window_start = models.DateTimeField(db_index=True)
    count = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.count} since {self.window_start:%H:%M:%S}"
