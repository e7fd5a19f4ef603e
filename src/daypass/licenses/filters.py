"""Filters of the license and transfer lists, one FilterSet each for the UI and the API.

The pieces every list shares (date bounds, strict booleans, text, `apply_filters`) live in
`daypass.core.filters`.
"""

from __future__ import annotations

import django_filters
from django.db.models import F, QuerySet

from daypass.core.filters import (
    InstantFromFilter,
    InstantToFilter,
    StrictBooleanFilter,
    StrictChoiceFilter,
    TextFilter,
    WholeNumberFilter,
)
from daypass.core.matching import NumberPatternFilter
from daypass.licenses.models import License, LicenseStatus, Transfer, TransferMethod

# --- licenses ------------------------------------------------------------------------------

# Ties are broken by card in the same direction, so each order is read straight off an index
# (customer, <field>, card). Never-activated licenses sort last ascending, first descending,
# on every database.
LICENSE_ORDERS = {
    "card": (F("card").asc(),),
    "-card": (F("card").desc(),),
    "available_days": (F("available_days").asc(), F("card").asc()),
    "-available_days": (F("available_days").desc(), F("card").desc()),
    "total_days": (F("total_days").asc(), F("card").asc()),
    "-total_days": (F("total_days").desc(), F("card").desc()),
    "activated_at": (F("activated_at").asc(nulls_last=True), F("card").asc()),
    "-activated_at": (F("activated_at").desc(nulls_first=True), F("card").desc()),
}


class LicenseFilterSet(django_filters.FilterSet):
    """Filters of the license details list; the queryset must be annotated with `status`."""

    card = NumberPatternFilter(field_name="card")
    type = TextFilter(field_name="type__code")
    status = StrictChoiceFilter(field_name="status", choices=LicenseStatus.choices)
    days_min = WholeNumberFilter(field_name="available_days", lookup_expr="gte", min_value=0)
    days_max = WholeNumberFilter(field_name="available_days", lookup_expr="lte", min_value=0)
    activated_from = InstantFromFilter(field_name="activated_at")
    activated_to = InstantToFilter(field_name="activated_at")
    device = NumberPatternFilter(field_name="device__number")
    locked = StrictBooleanFilter(field_name="locked")
    order = StrictChoiceFilter(
        choices=[(key, key) for key in LICENSE_ORDERS], method="filter_order"
    )

    class Meta:
        model = License
        fields: list[str] = []

    def filter_order(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*LICENSE_ORDERS[value]) if value else queryset


# --- transfers (sales records) -------------------------------------------------------------


class TransferFilterSet(django_filters.FilterSet):
    date_from = InstantFromFilter(field_name="at")
    date_to = InstantToFilter(field_name="at")
    type = TextFilter(field_name="type__code")
    card = TextFilter(field_name="license__card")
    method = StrictChoiceFilter(field_name="method", choices=TransferMethod.choices)

    class Meta:
        model = Transfer
        fields: list[str] = []
