from django.db import models
from django.db.models import Q


class DeductionTrigger(models.TextChoices):
    REPORT = "report", "Report"
    SWEEP = "sweep", "Sweep"


class DeductionResult(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"


class Deduction(models.Model):
    """One charge attempt of a device: the ledger entry that took days from a license.

    `customer` is the license owner at the time of the charge (for a failure: the device owner).

    On PostgreSQL the table is partitioned by month on `at` (migration billing/0006,
    billing.partitions): there the database's primary key is (id, at) and the unique window
    index is (device, window_start, at), because a partitioned table's unique keys must hold its
    partition key. `id` stays unique (one sequence) and stays Django's primary key, so saving,
    deleting and bulk-creating work as on SQLite; and every writer sets `at` = `window_start`,
    so the wider unique index refuses exactly the same double charges. The model below
    describes the SQLite table, which is unchanged.
    """

    at = models.DateTimeField()
    # Each foreign key leads a composite index (Meta.indexes), so none gets an index of its own:
    # the sweep inserts a row per charge and every index is a write.
    device = models.ForeignKey(
        "devices.Device", on_delete=models.PROTECT, related_name="deductions", db_index=False
    )
    license = models.ForeignKey(
        "licenses.License",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deductions",
        db_index=False,
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    days = models.PositiveIntegerField(default=0)
    available_days_after = models.PositiveIntegerField(null=True, blank=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=8, choices=DeductionTrigger.choices)
    result = models.CharField(max_length=8, choices=DeductionResult.choices)
    reason = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "at"], name="deduction_customer_at"),
            models.Index(fields=["license", "at"], name="deduction_license_at"),
            # A device's history (its deduction list, newest first) is read from this index
            # alone: the ordering (at, id) and the tenancy filter (customer) are in it, so a
            # device's page reads no table row, in none of the monthly partitions its year of
            # history spans (bench/history.py: 366 table reads in 13 partitions before).
            models.Index(
                fields=["device", "at", "id", "customer"], name="deduction_device_history"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(result="failed") | Q(license__isnull=False, window_end__isnull=False),
                name="deduction_success_has_license_and_window",
            ),
            # Belt and braces for "at most once per window": one success per device and start.
            models.UniqueConstraint(
                fields=["device", "window_start"],
                condition=Q(result="success"),
                name="deduction_one_success_per_window",
            ),
        ]


class LedgerCheckpoint(models.Model):
    """How far the ledger is proven (SPEC 11): one row, the `through` instant.

    Every successful deduction before `through` is summed into the per-license and per-device
    checkpoints below, so `daypass audit` re-reads only the deductions from `through` on;
    `daypass audit --full` re-reads everything that is still in the table and checks the
    checkpoints against it. Archived deductions (`daypass archive`) live on only as the
    `archived_*` part of the checkpoints.
    """

    through = models.DateTimeField()
    updated_at = models.DateTimeField()


class LicenseCheckpoint(models.Model):
    """One license's successful deductions before `LedgerCheckpoint.through`."""

    license = models.OneToOneField(
        "licenses.License", on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    # Days of its successful deductions before `through`, archived ones included.
    days = models.PositiveBigIntegerField(default=0)
    # Days of its archived successful deductions (no longer in the deductions table).
    archived_days = models.PositiveBigIntegerField(default=0)


class DeviceCheckpoint(models.Model):
    """One device's paid windows before `LedgerCheckpoint.through`."""

    device = models.OneToOneField(
        "devices.Device", on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    # The latest end of its successful windows before `through` (archived ones included).
    window_end = models.DateTimeField(null=True)
    # The latest end of its archived windows (the full audit starts from it).
    archived_window_end = models.DateTimeField(null=True)


class DeductionDay(models.Model):
    """One customer's deductions of one UTC day that lie before `LedgerCheckpoint.through`.

    A roll-up for reads only (list counts, deep pages, the consumption chart): written set-based
    by `ledger_checkpoint_advance` for each proven stretch, reduced by `daypass archive` for the
    rows it removes, so it always counts the rows still in the deductions table. Reads add the
    few rows since `through` from the table itself (billing/deduction_days.py).
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    day = models.DateField()
    charges = models.PositiveBigIntegerField(default=0)  # successful deductions
    days = models.PositiveBigIntegerField(default=0)  # days they took
    failed = models.PositiveBigIntegerField(default=0)  # failed deductions

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "day"], name="deduction_day_customer_day")
        ]


class DeductionDayType(models.Model):
    """The days taken by one customer's successful deductions of one UTC day and license type
    before `LedgerCheckpoint.through` (the forecast's rate per type); kept like `DeductionDay`."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    day = models.DateField()
    license_type = models.ForeignKey(
        "licenses.LicenseType", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    days = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "day", "license_type"], name="deduction_day_type_key"
            )
        ]
