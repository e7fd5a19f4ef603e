"""The device list's filters, shared by the UI and the API."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db.models import QuerySet

from daypass.core import clock
from daypass.core.filters import StrictBooleanFilter, TextFilter, WholeNumberFilter
from daypass.core.matching import NumberPatternFilter
from daypass.devices.models import Device

# "Refused in the last N days" goes back ten years at most.
MAX_REFUSED_WITHIN_DAYS = 3650


class DeviceFilterSet(django_filters.FilterSet):
    number = NumberPatternFilter(field_name="number")
    model = TextFilter(field_name="model__code")
    blacklisted = StrictBooleanFilter(field_name="blacklisted")
    # Liveness (SPEC 14): devices whose reports were refused in the last N days.
    refused_within_days = WholeNumberFilter(
        method="filter_refused_within_days", min_value=1, max_value=MAX_REFUSED_WITHIN_DAYS
    )

    class Meta:
        model = Device
        fields: list[str] = []

    def filter_refused_within_days(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(last_refused_at__gte=clock.now() - timedelta(days=value))
