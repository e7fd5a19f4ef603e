from django.db import models
from django.db.models import Q


class DeviceModel(models.Model):
    """A hardware model code, e.g. MX-C6."""

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Device(models.Model):
    """One unit. `service_until` is the end of paid usage time (empty until first charged)."""

    # Unique through a constraint (Meta), not `unique=True`, which on PostgreSQL adds a LIKE
    # index nothing uses. No single-column foreign-key indexes: every charge rewrites the device
    # row; `customer` leads a composite index, and devices are never looked up by model alone.
    number = models.CharField(max_length=64)
    model = models.ForeignKey(
        DeviceModel, on_delete=models.PROTECT, related_name="devices", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="devices", db_index=False
    )
    service_until = models.DateTimeField(null=True, blank=True)
    blacklisted = models.BooleanField(default=False)
    blacklisted_at = models.DateTimeField(null=True, blank=True)
    blacklist_reason = models.CharField(max_length=64, blank=True)
    registered_at = models.DateTimeField()
    # Liveness of refused devices (SPEC 14): the gate records a refusal at most once a minute
    # per device (billing.refusals.REFUSAL_RECORD_INTERVAL), so refused_reports counts recorded
    # refusals and last_refused_at is at most a minute behind the last refused report.
    last_refused_at = models.DateTimeField(null=True, blank=True)
    # A database default too, so bulk loaders that name only the columns they know stay valid.
    refused_reports = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["number"]
        indexes = [
            models.Index(fields=["customer", "number"], name="device_customer_number"),
            # The sweep's scan: devices not blacklisted, due first.
            models.Index(
                fields=["service_until"], name="device_sweep_due", condition=Q(blacklisted=False)
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="device_number_unique"),
            models.CheckConstraint(
                condition=Q(blacklisted=False) | Q(blacklisted_at__isnull=False),
                name="device_blacklisted_has_since",
            ),
        ]

    def __str__(self) -> str:
        return self.number
