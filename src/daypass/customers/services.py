"""Writes on customers and accounts.

With an `actor`, every service checks, in this order: visibility (the customer must be in the
actor's subtree, else `not_found`), permission (`forbidden`), then input values
(`validation_error`). `actor=None` is for `daypass init` and tests only.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from daypass.core.audit import audit_record
from daypass.core.errors import Forbidden, NotFound, ValidationFailed
from daypass.customers.models import Account, Customer, Role

PATH_SEGMENT_WIDTH = 8
NAME_MAX_LENGTH = 200
USERNAME_MAX_LENGTH = 150


def _path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}d}/"


def _require_visible(actor: Account, customer: Customer) -> None:
    if actor.customer is None or not customer.path.startswith(actor.customer.path):
        raise NotFound(message=f"Customer {customer.number} not found.")


def _require_admin(actor: Account, what: str) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden(message=f"Only an administrator may {what}.")


@transaction.atomic
def customer_create(
    *, actor: Account | None, parent: Customer | None, name: str, now: datetime
) -> Customer:
    """Create a customer under `parent` (None: the platform, the root of the tree).

    With an actor: `parent` must be the actor's own customer or one of its sub-customers and the
    actor must be an admin. Only `daypass init` (actor None) creates the root.
    """
    name = (name or "").strip()
    if actor is not None:
        if parent is None:
            raise ValidationFailed(message="parent is required.", field="parent")
        _require_visible(actor, parent)
        _require_admin(actor, "create sub-customers")
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            message=f"name must be 1 to {NAME_MAX_LENGTH} characters.", field="name"
        )
    # The number and path derive from the primary key, known only after the insert.
    customer = Customer.objects.create(
        name=name,
        parent=parent,
        depth=0 if parent is None else parent.depth + 1,
        number=uuid.uuid4().hex[:16],
        path=f"pending-{uuid.uuid4().hex}",
        created_at=now,
    )
    customer.number = f"C{customer.pk:06d}"
    customer.path = (parent.path if parent else "") + _path_segment(customer.pk)
    customer.save(update_fields=["number", "path"])
    audit_record(
        actor=actor,
        action="customer.create",
        now=now,
        target=customer.number,
        name=name,
        parent=parent.number if parent else None,
    )
    return customer


@transaction.atomic
def customer_create_with_admin(
    *,
    actor: Account | None,
    parent: Customer,
    name: str,
    admin_username: str,
    admin_password: str,
    now: datetime,
) -> Customer:
    """A sub-customer and its Administrator account, both or neither."""
    customer = customer_create(actor=actor, parent=parent, name=name, now=now)
    account_create(
        actor=actor,
        customer=customer,
        username=admin_username,
        password=admin_password,
        role=Role.ADMIN,
        now=now,
    )
    return customer


# The customer's switches (SPEC 5 and 14): the field, and the audit action of a change.
CUSTOMER_SWITCHES = {
    "allow_superior_manage_licenses": "customer.superior_management",
    "allow_auto_renew": "customer.auto_renew",
}


@transaction.atomic
def customer_settings_update(
    *,
    actor: Account,
    customer: Customer,
    allow_superior_manage_licenses: bool | None = None,
    allow_auto_renew: bool | None = None,
    now: datetime,
) -> Customer:
    """Change the customer's switches (None: leave as is); the customer's own admin only.

    Each switch that changes writes one audit event (`allowed`, `previous`); a switch set to
    the value it has changes nothing and writes nothing.
    """
    _require_visible(actor, customer)
    if actor.customer_id != customer.pk or actor.role != Role.ADMIN:
        raise Forbidden(message="Only the customer's own administrator may change its settings.")
    wanted = {
        "allow_superior_manage_licenses": allow_superior_manage_licenses,
        "allow_auto_renew": allow_auto_renew,
    }
    for field, value in wanted.items():
        if value is not None and not isinstance(value, bool):
            raise ValidationFailed(message=f"{field} must be true or false.", field=field)
    changes = {field: value for field, value in wanted.items() if value is not None}
    if not changes:
        raise ValidationFailed(
            message="Give allow_superior_manage_licenses, allow_auto_renew or both."
        )
    fresh = Customer.objects.select_for_update().get(pk=customer.pk)
    changed = [field for field, value in changes.items() if getattr(fresh, field) != value]
    for field in changed:
        setattr(fresh, field, changes[field])
    if changed:
        fresh.save(update_fields=changed)
    for field in changed:
        audit_record(
            actor=actor,
            action=CUSTOMER_SWITCHES[field],
            now=now,
            target=fresh.number,
            allowed=changes[field],
            previous=not changes[field],
        )
    return fresh


@transaction.atomic
def account_create(
    *,
    actor: Account | None,
    customer: Customer,
    username: str,
    password: str,
    role: str,
    now: datetime,
) -> Account:
    """A login for `customer`.

    With an actor: an admin of the customer or of one of its superiors. `gateway` accounts
    belong to the platform only. Usernames are unique; passwords pass Django's validators.
    """
    if actor is not None:
        _require_visible(actor, customer)
        _require_admin(actor, "create accounts")
    username = (username or "").strip()
    if not username or len(username) > USERNAME_MAX_LENGTH:
        raise ValidationFailed(
            message=f"username must be 1 to {USERNAME_MAX_LENGTH} characters.", field="username"
        )
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(
            message="role must be one of " + ", ".join(Role.values) + ".", field="role"
        ) from None
    if role == Role.GATEWAY and not customer.is_platform:
        raise ValidationFailed(message="Gateway accounts belong to the platform.", field="role")
    if not password:
        raise ValidationFailed(message="password must not be empty.", field="password")
    account = Account(username=username, customer=customer, role=role, date_joined=now)
    if actor is not None:
        try:
            validate_password(password, user=account)
        except ValidationError as error:
            raise ValidationFailed(message=" ".join(error.messages), field="password") from None
    if Account.objects.filter(username=username).exists():
        raise ValidationFailed(message=f"Username {username} is taken.", field="username")
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise ValidationFailed(message=f"Username {username} is taken.", field="username") from None
    audit_record(
        actor=actor,
        action="account.create",
        now=now,
        target=username,
        acting_customer=actor.customer if actor else customer,
        customer=customer.number,
        role=role.value,
    )
    return account
