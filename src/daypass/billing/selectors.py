"""Reads on deduction records (acting account first, 404 outside the actor's subtree)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from daypass.billing.filters import DeductionFilterSet
from daypass.billing.models import Deduction
from daypass.core.filters import apply_filters
from daypass.core.tenancy import customer_in_scope, owned_within, visible_q
from daypass.customers.models import Account, Customer
from daypass.licenses.selectors import license_get


def deduction_list(
    actor: Account,
    customer: Customer | str | None,
    filters: Mapping[str, Any] | None = None,
    card: str | None = None,
    *,
    subtree: bool = False,
) -> QuerySet[Deduction]:
    """Deductions charged to the selected customer (the license owner at the time), newest first.

    With `card`: that license's deductions (404 if the actor cannot see the license). Then,
    if `customer` is None, every deduction of the license charged to the actor's customer or
    one of its sub-customers, so a superior's earlier history stays hidden from the license's
    later owners. With `subtree`, the deductions charged to any customer of the selected
    customer's subtree.
    """
    base = Deduction.objects.select_related("device", "license", "customer").order_by("-at", "-id")
    if card is not None:
        license = license_get(actor, card)
        base = base.filter(license=license)
        if customer is None:
            base = base.filter(visible_q(actor))
        else:
            base = base.filter(owned_within(customer_in_scope(actor, customer), subtree=subtree))
    else:
        base = base.filter(owned_within(customer_in_scope(actor, customer), subtree=subtree))
    return apply_filters(DeductionFilterSet, filters, base)
