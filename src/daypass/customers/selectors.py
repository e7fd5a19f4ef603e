"""Reads on customers and accounts; the caller has scoped the customer (core.tenancy)."""

from __future__ import annotations

from django.db.models import QuerySet

from daypass.customers.models import Account, Customer


def account_list(customer: Customer) -> QuerySet[Account]:
    """The customer's own accounts, by username (deactivated ones included)."""
    return Account.objects.filter(customer=customer).order_by("username")
