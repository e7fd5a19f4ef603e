from django.contrib.auth.models import AbstractUser
from django.db import models


class Customer(models.Model):
    """A tenant, a node in the customer tree. The root (no parent) is the platform.

    `path` is a materialized path of zero-padded primary keys ("00000001/00000007/"), so
    "this customer and all its sub-customers" is one indexed prefix query:
    `Customer.objects.filter(path__startswith=customer.path)`.
    """

    number = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField(default=0)
    allow_superior_manage_licenses = models.BooleanField(default=False)
    # SPEC 14: when a charge finds no bound license that can pay, bind one of the device
    # owner's eligible licenses instead of blacklisting. Switched by the customer's own admin.
    allow_auto_renew = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["path"]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' whatever the
            # collation (other backends ignore opclasses and use the unique index).
            models.Index(
                fields=["path"], name="customer_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_platform(self) -> bool:
        return self.parent_id is None


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    OPERATOR = "operator", "Operator"
    VIEWER = "viewer", "Viewer"
    GATEWAY = "gateway", "Gateway"


class Account(AbstractUser):
    """A login of one customer with one role."""

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    # Set when someone else chose the password (an admin creating the account or setting a new
    # password): the console asks for a new one at the next sign-in (SPEC 13).
    must_change_password = models.BooleanField(default=False)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_operate(self) -> bool:
        return self.role in (Role.ADMIN, Role.OPERATOR)

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.ADMIN and self.customer is not None and self.customer.is_platform


class ApiToken(models.Model):
    """A bearer token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # None: never expires. A token past this instant authenticates nothing (401).
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.account.username})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
