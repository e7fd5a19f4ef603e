"""The deduction list's filters, shared by the UI and the API."""

from __future__ import annotations

import django_filters

from daypass.billing.models import Deduction, DeductionResult
from daypass.licenses.filters import InstantFromFilter, InstantToFilter


class DeductionFilterSet(django_filters.FilterSet):
    card = django_filters.CharFilter(field_name="license__card")
    device = django_filters.CharFilter(field_name="device__number")
    result = django_filters.ChoiceFilter(field_name="result", choices=DeductionResult.choices)
    date_from = InstantFromFilter(field_name="at")
    date_to = InstantToFilter(field_name="at")

    class Meta:
        model = Deduction
        fields: list[str] = []
