"""Reads on customers (acting account first, 404 outside the actor's subtree)."""

from __future__ import annotations

from django.db.models import QuerySet

from daypass.core.tenancy import customer_in_scope, named_one, subtree_customers
from daypass.customers.models import Account, Customer


def customer_get(actor: Account, number: str) -> Customer:
    """A customer named in a request, if it is in the actor's subtree (else `NotFound`)."""
    return named_one(
        Customer.objects.select_related("parent"),
        field="number",
        value=number,
        noun="Customer",
        actor=actor,
        customer_field="",
    )


def customer_subtree(actor: Account, customer: Customer | str | None) -> QuerySet[Customer]:
    """The selected customer and all its sub-customers, in tree order, with their parents."""
    return subtree_customers(customer_in_scope(actor, customer)).select_related("parent")


def customer_children(customer: Customer) -> QuerySet[Customer]:
    """The direct children of `customer` (whom it may sell to), by name."""
    return Customer.objects.filter(parent=customer).order_by("name")


def account_list(customer: Customer) -> QuerySet[Account]:
    """The customer's own accounts, by username (deactivated ones included); the caller has
    scoped the customer (core.tenancy)."""
    return Account.objects.filter(customer=customer).order_by("username")
