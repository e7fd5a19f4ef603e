"""Filters of the license and transfer lists, one FilterSet each for the UI and the API.

Also the filter pieces every list shares (date bounds, strict booleans, whole numbers) and
`apply_filters`, which turns an invalid value into `validation_error` naming the field instead of
ignoring it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import F, QuerySet

from daypass.core.errors import ValidationFailed
from daypass.core.matching import NumberPatternFilter
from daypass.licenses.models import License, LicenseStatus, Transfer, TransferMethod

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BOOLEAN_WORDS = {"true": True, "false": False}


# --- shared pieces -------------------------------------------------------------------------


class InstantBoundField(forms.Field):
    """`YYYY-MM-DD` (a whole UTC day) or a full ISO 8601 instant.

    Cleans to `(instant, inclusive)`: a day as a lower bound is its first instant (inclusive);
    a day as an upper bound is the first instant of the next day (exclusive), so the whole day
    is included. An instant without an offset is taken as UTC.
    """

    def __init__(self, *, upper: bool = False, **kwargs: Any):
        self.upper = upper
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> tuple[datetime, bool] | None:
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            instant = value if value.tzinfo else value.replace(tzinfo=UTC)
            return instant, True
        if isinstance(value, date):
            day = value
        else:
            text = str(value).strip()
            if DATE_ONLY.match(text):
                try:
                    day = date.fromisoformat(text)
                except ValueError:
                    raise forms.ValidationError(f"{text!r} is not a valid date.") from None
            else:
                try:
                    instant = datetime.fromisoformat(text)
                except ValueError:
                    raise forms.ValidationError(
                        f"{text!r} is neither a date YYYY-MM-DD nor an ISO 8601 instant."
                    ) from None
                if instant.tzinfo is None:
                    instant = instant.replace(tzinfo=UTC)
                return instant, True
        start = datetime.combine(day, time.min, tzinfo=UTC)
        if self.upper:
            return start + timedelta(days=1), False
        return start, True


class InstantFromFilter(django_filters.Filter):
    field_class = InstantBoundField

    def filter(self, qs: QuerySet, value: tuple[datetime, bool] | None) -> QuerySet:
        if value is None:
            return qs
        instant, _inclusive = value
        return qs.filter(**{f"{self.field_name}__gte": instant})


class InstantToFilter(django_filters.Filter):
    field_class = InstantBoundField

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("upper", True)
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: tuple[datetime, bool] | None) -> QuerySet:
        if value is None:
            return qs
        instant, inclusive = value
        lookup = "lte" if inclusive else "lt"
        return qs.filter(**{f"{self.field_name}__{lookup}": instant})


class StrictBooleanField(forms.Field):
    """Only `true` or `false` (SPEC section 9); anything else is an error, not "no filter"."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in BOOLEAN_WORDS:
            raise forms.ValidationError(f"{value!r} is not true or false.")
        return BOOLEAN_WORDS[text]


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class WholeNumberFilter(django_filters.Filter):
    field_class = forms.IntegerField


def apply_filters(
    filterset_class: type[django_filters.FilterSet],
    data: Mapping[str, Any] | None,
    queryset: QuerySet,
) -> QuerySet:
    """Filter `queryset`; an invalid value raises `ValidationFailed` naming the field."""
    filterset = filterset_class(data=data if data is not None else {}, queryset=queryset)
    if not filterset.is_valid():
        field, messages = next(iter(filterset.errors.items()))
        raise ValidationFailed(message=f"{field}: {' '.join(messages)}", field=field)
    cleaned = filterset.form.cleaned_data
    for low, high in RANGE_PAIRS:
        if range_reversed(cleaned.get(low), cleaned.get(high)):
            # A reversed range would silently match nothing: say so instead.
            raise ValidationFailed(
                message=f"{low}: the range is reversed ({low} is after {high}).", field=low
            )
    return filterset.qs


# The from–to pairs of the lists' filters.
RANGE_PAIRS = (
    ("days_min", "days_max"),
    ("date_from", "date_to"),
    ("activated_from", "activated_to"),
)


def range_reversed(low: Any, high: Any) -> bool:
    """True when `low`..`high` is empty because low comes after high (bounds as cleaned:
    whole numbers, or `(instant, inclusive)` of `InstantBoundField`)."""
    if low is None or high is None:
        return False
    if isinstance(low, tuple):
        (start, _), (end, end_inclusive) = low, high
        return start > end or (start == end and not end_inclusive)
    return low > high


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
    type = django_filters.CharFilter(field_name="type__code")
    status = django_filters.ChoiceFilter(field_name="status", choices=LicenseStatus.choices)
    days_min = WholeNumberFilter(field_name="available_days", lookup_expr="gte", min_value=0)
    days_max = WholeNumberFilter(field_name="available_days", lookup_expr="lte", min_value=0)
    activated_from = InstantFromFilter(field_name="activated_at")
    activated_to = InstantToFilter(field_name="activated_at")
    device = NumberPatternFilter(field_name="device__number")
    locked = StrictBooleanFilter(field_name="locked")
    order = django_filters.ChoiceFilter(
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
    type = django_filters.CharFilter(field_name="type__code")
    card = django_filters.CharFilter(field_name="license__card")
    method = django_filters.ChoiceFilter(field_name="method", choices=TransferMethod.choices)

    class Meta:
        model = Transfer
        fields: list[str] = []
