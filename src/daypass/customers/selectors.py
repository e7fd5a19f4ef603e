"""Reads on customers (acting account first, 404 outside the actor's subtree)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from daypass.core.errors import NotFound
from daypass.core.tenancy import customer_in_scope, named_one, subtree_customers
from daypass.customers.models import Account, ApiToken, Customer


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


def customer_choices(actor: Account) -> list[Customer]:
    """The account's customer and its whole subtree, in tree order, for the customer selector
    and transfer targets (only the fields they show)."""
    return list(subtree_customers(actor.customer).only("number", "name", "depth", "path"))


def sub_customers(actor: Account, customer: Customer) -> list[Customer]:
    """The sub-customers of `customer` (not itself), in tree order, with `account_count`."""
    selected = customer_in_scope(actor, customer)
    return list(
        subtree_customers(selected)
        .exclude(pk=selected.pk)
        .annotate(account_count=Count("accounts"))
    )


def account_list(customer: Customer) -> QuerySet[Account]:
    """The customer's own accounts, by username (deactivated ones included); the caller has
    scoped the customer (core.tenancy)."""
    return Account.objects.filter(customer=customer).order_by("username")


def token_list(actor: Account) -> QuerySet[ApiToken]:
    """The account's own tokens; an administrator also sees those of its customer's accounts.
    Newest first."""
    tokens = ApiToken.objects.select_related("account").order_by("-created_at", "-id")
    if actor.is_admin:
        return tokens.filter(account__customer=actor.customer)
    return tokens.filter(account=actor)


def token_get(actor: Account, token_id: int) -> ApiToken:
    """One of the tokens `token_list` shows, else `NotFound`."""
    token = token_list(actor).filter(pk=token_id).first()
    if token is None:
        raise NotFound(message="No such token.")
    return token
