from django.conf import settings
from django.db import models
from django.db.models import F, Q

from daypass.licenses.fields import CardField


class LicenseType(models.Model):
    """A product (license code): which device models it fits, how many days, how it bills."""

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    days = models.PositiveIntegerField()
    device_models = models.ManyToManyField("devices.DeviceModel", related_name="license_types")
    charge_days = models.PositiveIntegerField(default=1)
    period_hours = models.PositiveIntegerField(default=24)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(days__gte=1), name="licensetype_days_positive"),
            models.CheckConstraint(
                condition=Q(charge_days__gte=1), name="licensetype_charge_days_positive"
            ),
            models.CheckConstraint(
                condition=Q(period_hours__gte=1), name="licensetype_period_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class LicenseStatus(models.TextChoices):
    UNUSED = "unused", "Unused"
    INACTIVE = "inactive", "Inactive"
    IN_USE = "in_use", "In use"
    DEACTIVATED = "deactivated", "Deactivated"
    EXPIRED = "expired", "Expired"


# Imported here, not at the top: status.py needs LicenseStatus (above) from this module, and
# the License indexes below need the status expression.
from daypass.licenses.status import status_expression  # noqa: E402


class License(models.Model):
    """One card. Status is derived (see licenses.status), never stored."""

    # Unique through a constraint (below), not `unique=True`, which on PostgreSQL adds a second
    # LIKE index that every charge would have to update; byte order (licenses.fields), so the
    # ordinary indexes answer card prefixes.
    card = CardField(max_length=32)
    # No single-column foreign-key indexes: every charge rewrites the license row and each index
    # costs a write. `customer` and `device` lead composite indexes (Meta.indexes); licenses are
    # never looked up by type alone (types are not deleted; lists filter by customer first).
    type = models.ForeignKey(
        LicenseType, on_delete=models.PROTECT, related_name="licenses", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="licenses", db_index=False
    )
    issued_days = models.PositiveIntegerField()
    total_days = models.PositiveIntegerField()
    available_days = models.PositiveIntegerField()
    activated_at = models.DateTimeField(null=True, blank=True)
    # A ForeignKey, so a license is bound to at most one device by construction.
    device = models.ForeignKey(
        "devices.Device",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licenses",
        db_index=False,
    )
    bound_at = models.DateTimeField(null=True, blank=True)
    locked = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["card"]
        indexes = [
            models.Index(fields=["customer", "card"], name="license_customer_card"),
            models.Index(fields=["customer", "type", "card"], name="license_customer_type_card"),
            # Orders of the list end with the card, so a page is read straight off the index.
            models.Index(
                fields=["customer", "available_days", "card"], name="license_customer_days_card"
            ),
            models.Index(
                fields=["customer", "activated_at", "card"], name="license_customer_activ_card"
            ),
            models.Index(
                fields=["customer", "total_days", "card"], name="license_customer_total_card"
            ),
            # Bound licenses only: every lookup is by a device (which implies NOT NULL), and
            # the unbound licenses that sales, returns and issues write by the 100,000 then
            # cost this index nothing (issue 12).
            models.Index(
                fields=["device", "activated_at"],
                condition=Q(device__isnull=False),
                name="license_bound_device_activated",
            ),
            # Status filters and counts: the planner matches the same CASE expression the
            # selectors use, and ANALYZE keeps statistics on it (good row estimates). The card
            # last, so one status is read in card order: a status list's page, and auto-renew's
            # oldest spare card (billing.auto_renew), which otherwise walks past every bound
            # license of a fleet that sorts before its spares.
            models.Index(
                F("customer"), status_expression(), F("card"), name="license_customer_status_card"
            ),
            # Locked licenses are few; this finds them without reading the others.
            models.Index(
                fields=["customer", "card"], condition=Q(locked=True), name="license_locked_card"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["card"], name="license_card_unique"),
            models.CheckConstraint(
                condition=Q(available_days__gte=0), name="license_available_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(available_days__lte=F("total_days")),
                name="license_available_le_total",
            ),
            models.CheckConstraint(
                condition=Q(device__isnull=True, bound_at__isnull=True)
                | Q(device__isnull=False, bound_at__isnull=False),
                name="license_bound_at_iff_device",
            ),
            models.CheckConstraint(
                condition=Q(locked=False) | Q(device__isnull=True),
                name="license_locked_not_bound",
            ),
        ]

    def __str__(self) -> str:
        return self.card


class TransferMethod(models.TextChoices):
    SELL = "sell", "Sell"
    RETURN = "return", "Return"
    BIND = "bind", "Bind"
    DEVICE = "device", "Device"


class Transfer(models.Model):
    """A license changing owner: one sales record. One batch id per operation.

    Append-only, written only by `licenses.bulk.move_licenses`, which reads every reference off
    the license row it records in the same statement. No foreign-key constraints in the
    database (`db_constraint=False`): their deferred checks were a third of the time of a
    100,000-license sell on PostgreSQL, and nothing they would catch can happen (licenses,
    types and customers are never deleted; Django's `on_delete` still applies to the ORM).
    No single-column indexes either: the composite indexes below lead with each column that
    is looked up (docs/license-operations.md, "Sales records without foreign-key constraints").
    """

    at = models.DateTimeField()
    license = models.ForeignKey(
        License,
        on_delete=models.PROTECT,
        related_name="transfers",
        db_constraint=False,
        db_index=False,
    )
    # Denormalised from the license so records filter by code without a join.
    type = models.ForeignKey(
        LicenseType, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    from_customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    to_customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    method = models.CharField(max_length=16, choices=TransferMethod.choices)
    batch = models.UUIDField(db_index=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    account_username = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["from_customer", "at"], name="transfer_from_at"),
            # The newest page of a busy customer's records, read backwards with the OR filter.
            models.Index(fields=["at", "id"], name="transfer_at_id"),
            models.Index(fields=["to_customer", "at"], name="transfer_to_at"),
            models.Index(fields=["license", "at"], name="transfer_license_at"),
        ]


class TopUp(models.Model):
    """A ledger record of days added to a license (total and available grow together)."""

    at = models.DateTimeField()
    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="top_ups")
    days = models.PositiveIntegerField()
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["license", "at"], name="topup_license_at")]
        constraints = [models.CheckConstraint(condition=Q(days__gte=1), name="topup_days_positive")]
