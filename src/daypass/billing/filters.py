"""The deduction list's filters, shared by the UI and the API."""

from __future__ import annotations

import django_filters

from daypass.billing.models import Deduction, DeductionResult
from daypass.core.filters import (
    InstantFromFilter,
    InstantToFilter,
    StrictChoiceFilter,
    TextFilter,
)


class DeductionFilterSet(django_filters.FilterSet):
    card = TextFilter(field_name="license__card")
    device = TextFilter(field_name="device__number")
    result = StrictChoiceFilter(field_name="result", choices=DeductionResult.choices)
    date_from = InstantFromFilter(field_name="at")
    date_to = InstantToFilter(field_name="at")

    class Meta:
        model = Deduction
        fields: list[str] = []
