"""Tenant scoping: an account sees its own customer and every sub-customer, nothing else.

Everything outside the subtree is reported exactly like something that does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from daypass.core.errors import NotFound

if TYPE_CHECKING:
    from django.db.models import Q, QuerySet

    from daypass.customers.models import Account, Customer


def subtree_customers(customer: Customer) -> QuerySet[Customer]:
    """The customer and all its sub-customers, in tree order (self first)."""
    from daypass.customers.models import Customer

    return Customer.objects.filter(path__startswith=customer.path).order_by("path")


def customer_in_scope(actor: Account, number: str | None) -> Customer:
    """The customer `number` if it is in the actor's subtree; the actor's own if None."""
    from daypass.customers.models import Customer

    own = actor.customer
    if own is None:
        raise NotFound(message="No such customer.")
    if number is None or number == "" or number == own.number:
        return own
    try:
        customer = Customer.objects.get(number=number, path__startswith=own.path)
    except Customer.DoesNotExist:
        raise NotFound(message=f"Customer {number} not found.") from None
    return customer


def in_subtree_of(customer: Customer, root: Customer) -> bool:
    return customer.path.startswith(root.path)


def owned_within(customer: Customer, *, subtree: bool, field: str = "customer") -> Q:
    """Rows whose `field` is `customer` itself, or with `subtree` any customer of its subtree.

    The subtree is a semi-join on the materialized path (one indexed prefix scan of customers),
    so the database filters a million rows against a hashed set of customer ids.
    """
    from django.db.models import Q

    from daypass.customers.models import Customer

    if not subtree:
        return Q(**{field: customer})
    ids = Customer.objects.filter(path__startswith=customer.path).values("pk")
    return Q(**{f"{field}__in": ids})
