"""The device list's filters, shared by the UI and the API."""

from __future__ import annotations

import django_filters

from daypass.devices.models import Device
from daypass.licenses.filters import StrictBooleanFilter


class DeviceFilterSet(django_filters.FilterSet):
    number = django_filters.CharFilter(field_name="number")
    model = django_filters.CharFilter(field_name="model__code")
    blacklisted = StrictBooleanFilter(field_name="blacklisted")

    class Meta:
        model = Device
        fields: list[str] = []
