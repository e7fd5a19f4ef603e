"""The filter pieces every list shares, and `apply_filters`.

Each list has one django-filter `FilterSet` (`licenses.filters`, `devices.filters`,
`billing.filters`) used by the API and the console alike; its field names are read from it with
`filter_names`, never typed again. The fields here are strict: a value that is not valid is an
error naming the field (422 in the API, an error next to the field in the console), never
"no filter". Dates out of range and text holding NUL are refused here for every list (SPEC 9).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from daypass.core.errors import ValidationFailed
from daypass.core.limits import (
    FILTER_DATE_MAX,
    FILTER_DATE_MIN,
    FILTER_INSTANT_MAX,
    FILTER_INSTANT_MIN,
)
from daypass.core.text import NUL_MESSAGE, has_nul

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BOOLEAN_WORDS = {"true": True, "false": False}

# Django form error codes of the values SPEC 9 makes a 422 in the console too (not only an
# error next to the field): a date or instant out of range, text holding NUL.
OUT_OF_RANGE = "out_of_range"
NUL_TEXT = "nul"
REJECTED_CODES = frozenset({OUT_OF_RANGE, NUL_TEXT})


def _refuse_nul(value: Any) -> None:
    if has_nul(value):
        raise forms.ValidationError(NUL_MESSAGE, code=NUL_TEXT)


def _out_of_range(text: str) -> forms.ValidationError:
    return forms.ValidationError(
        f"{text!r} is out of range (from {FILTER_DATE_MIN.isoformat()} "
        f"to {FILTER_DATE_MAX.isoformat()}).",
        code=OUT_OF_RANGE,
    )


class InstantBoundField(forms.Field):
    """`YYYY-MM-DD` (a whole UTC day) or a full ISO 8601 instant.

    Cleans to `(instant, inclusive)`: a day as a lower bound is its first instant (inclusive);
    a day as an upper bound is the first instant of the next day (exclusive), so the whole day
    is included. An instant without an offset is taken as UTC. A day outside FILTER_DATE_MIN ..
    FILTER_DATE_MAX, or an instant outside that range in UTC: an error with code `out_of_range`.
    """

    def __init__(self, *, upper: bool = False, **kwargs: Any):
        self.upper = upper
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> tuple[datetime, bool] | None:
        if value in (None, ""):
            return None
        _refuse_nul(value)
        text = str(value).strip()
        if isinstance(value, datetime):
            instant = value if value.tzinfo else value.replace(tzinfo=UTC)
        elif isinstance(value, date) or DATE_ONLY.match(text):
            try:
                day = value if isinstance(value, date) else date.fromisoformat(text)
            except ValueError:
                raise forms.ValidationError(f"{text!r} is not a valid date.") from None
            if not FILTER_DATE_MIN <= day <= FILTER_DATE_MAX:
                raise _out_of_range(text)
            start = datetime.combine(day, time.min, tzinfo=UTC)
            if self.upper:
                return start + timedelta(days=1), False
            return start, True
        else:
            try:
                instant = datetime.fromisoformat(text)
            except ValueError:
                raise forms.ValidationError(
                    f"{text!r} is neither a date YYYY-MM-DD nor an ISO 8601 instant."
                ) from None
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=UTC)
        try:
            in_utc = instant.astimezone(UTC)
        except OverflowError:
            raise _out_of_range(text) from None
        if not FILTER_INSTANT_MIN <= in_utc <= FILTER_INSTANT_MAX:
            raise _out_of_range(text)
        return instant, True


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
        _refuse_nul(value)
        text = str(value).strip().lower()
        if text not in BOOLEAN_WORDS:
            raise forms.ValidationError(f"{value!r} is not true or false.")
        return BOOLEAN_WORDS[text]


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class TextField(forms.CharField):
    """Text matched exactly; text holding NUL is an error with code `nul`."""

    def to_python(self, value: Any) -> str:
        _refuse_nul(value)
        return super().to_python(value)


class TextFilter(django_filters.CharFilter):
    field_class = TextField


class WholeNumberField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        _refuse_nul(value)
        return super().to_python(value)


class WholeNumberFilter(django_filters.Filter):
    field_class = WholeNumberField


class StrictChoiceField(django_filters.fields.ChoiceField):
    def to_python(self, value: Any) -> Any:
        _refuse_nul(value)
        return super().to_python(value)


class StrictChoiceFilter(django_filters.ChoiceFilter):
    field_class = StrictChoiceField


def filter_names(filterset_class: type[django_filters.FilterSet]) -> tuple[str, ...]:
    """The names of a list's filters, in declaration order: what the API and the page read."""
    return tuple(filterset_class.base_filters)


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
