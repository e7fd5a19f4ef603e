"""Writes on customers and accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction

from daypass.core.audit import audit_record
from daypass.customers.models import Account, Customer, Role

PATH_SEGMENT_WIDTH = 8


def _path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}d}/"


@transaction.atomic
def customer_create(
    *, actor: Account | None, parent: Customer | None, name: str, now: datetime
) -> Customer:
    """Create a customer under `parent` (None: the platform, the root of the tree).

    Permission checks belong to the caller's layer for the root (only `daypass init` creates it);
    for sub-customers see `customer_create_checked`.
    """
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
def account_create(
    *,
    actor: Account | None,
    customer: Customer,
    username: str,
    password: str,
    role: str,
    now: datetime,
) -> Account:
    account = Account(username=username, customer=customer, role=Role(role), date_joined=now)
    account.set_password(password)
    account.save()
    audit_record(
        actor=actor,
        action="account.create",
        now=now,
        target=username,
        acting_customer=actor.customer if actor else customer,
        customer=customer.number,
        role=role,
    )
    return account
