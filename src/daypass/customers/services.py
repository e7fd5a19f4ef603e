"""Writes on customers: create (with a first admin account), settings. Accounts: `accounts`.

With an `actor`, every service checks, in this order: visibility (the customer must be in the
actor's subtree, else `not_found`), permission (`forbidden`), then input values
(`validation_error`). `actor=None` is for `daypass init` and tests only.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction

from daypass.core.audit import audit_record
from daypass.core.errors import Forbidden, ValidationFailed
from daypass.core.limits import NAME_MAX_LENGTH
from daypass.core.tenancy import require_admin, require_customer_visible
from daypass.customers.accounts import account_insert
from daypass.customers.models import Account, Customer, Role
from daypass.events.emit import event_emit
from daypass.events.snapshots import customer_snapshot
from daypass.events.types import EventType

PATH_SEGMENT_WIDTH = 8


def _path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}d}/"


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
        require_customer_visible(actor, parent)
        require_admin(actor, "create sub-customers")
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
    """A sub-customer and its Administrator account, both or neither. The superior's admin
    chooses that first password; the new admin chooses its own at its first console sign-in."""
    customer = customer_create(actor=actor, parent=parent, name=name, now=now)
    account_insert(
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
    require_customer_visible(actor, customer)
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
    if changed:
        event_emit(
            type=EventType.CUSTOMER_SETTINGS_CHANGED,
            customer=fresh,
            data={
                "customer": customer_snapshot(fresh),
                "changed_by": actor.username,
                "changed": changed,
            },
            now=now,
        )
    return fresh
