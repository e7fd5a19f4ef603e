"""Template helpers for query strings: links keep the current filters and the customer."""

from __future__ import annotations

from collections.abc import Callable

from django import template
from django.http import QueryDict

from daypass.web.status_labels import (
    METHOD_LABELS,
    RESULT_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    TRIGGER_LABELS,
)

register = template.Library()


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with `changes` applied (a value of None or "" removes the key).

    `{% query page=2 %}` → "?customer=C000002&status=unused&page=2".
    """
    request = context["request"]
    params: QueryDict = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def for_customer(context, **params) -> str:
    """A query string for the selected customer plus `params`: `?customer=C000002&status=…`."""
    customer = context.get("customer")
    query_params = QueryDict(mutable=True)
    if customer is not None:
        query_params["customer"] = customer.number
    for key, value in params.items():
        if value is not None and value != "":
            query_params[key] = value
    return "?" + query_params.urlencode()


@register.filter
def percent(value: float) -> str:
    return f"{value:.1f}%"


def _label_filter(labels: dict) -> Callable[[str], str]:
    """A filter showing a stored value (a status, a method …) by its translated label."""

    def label(value: str) -> str:
        return str(labels.get(value, value))

    return label


register.filter("status_label", _label_filter(STATUS_LABELS))
register.filter("method_label", _label_filter(METHOD_LABELS))
register.filter("result_label", _label_filter(RESULT_LABELS))
register.filter("trigger_label", _label_filter(TRIGGER_LABELS))
register.filter("role_label", _label_filter(ROLE_LABELS))


@register.inclusion_tag("web/partials/_sort_header.html", takes_context=True)
def sort_header(context, field: str, label: str, target: str, numeric: bool = False) -> dict:
    """A column header that sorts by `field`; a second click reverses the order."""
    request = context["request"]
    current = request.GET.get("order", "")
    direction = "asc" if current == field else "desc" if current == f"-{field}" else ""
    next_order = f"-{field}" if current == field else field
    return {
        "label": label,
        "url": query(context, order=next_order, page=None),
        "direction": direction,
        "target": target,
        "numeric": numeric,
    }
