"""Template helpers for query strings: links keep the current filters and the customer."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django import template
from django.http import QueryDict
from django.utils.safestring import mark_safe

from daypass.web.forms import option_tags
from daypass.web.status_labels import (
    DELIVERY_STATUS_LABELS,
    LEVEL_LABELS,
    METHOD_LABELS,
    REASON_LABELS,
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


@register.simple_tag
def options(rows, chosen: str = "", key: str | None = None, label: str | None = None) -> str:
    """`<option>`s of a long list (web.forms.option_tags): (value, label) pairs, or objects with
    `key` and `label` attributes; `chosen` is selected."""
    pairs = ((getattr(row, key), getattr(row, label)) for row in rows) if key else rows
    return option_tags(pairs, {str(chosen)} if chosen else ())


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
register.filter("level_label", _label_filter(LEVEL_LABELS))
register.filter("reason_label", _label_filter(REASON_LABELS))
register.filter("delivery_status_label", _label_filter(DELIVERY_STATUS_LABELS))


@register.filter
def event_type_label(value: str) -> str:
    from daypass.notifications.messages import TYPE_LABELS

    return str(TYPE_LABELS.get(value, value))


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


# The fields of a list's filter form. Each reads its value from `filter_values` (the query string
# as given) and its errors from the bound `filterset`; the field's id is "f-" + its name.


def _field_id(name: str) -> str:
    return "f-" + name.replace("_", "-")


@register.inclusion_tag("web/partials/_filter_input.html", takes_context=True)
def filter_input(context, name: str, label: str, size: int) -> dict:
    """A text box: `{% filter_input "card" _("Card number") 14 %}`."""
    return {
        "id": _field_id(name),
        "name": name,
        "label": label,
        "value": context["filter_values"].get(name, ""),
        "size": size,
    }


@register.inclusion_tag("web/partials/_filter_select.html", takes_context=True)
def filter_select(
    context, name: str, label: str, choices: Iterable = (), *, yes=None, no=None, mark_invalid=False
) -> dict:
    """A choice with "All" first. `choices` are (value, label) pairs or values that are their
    own label; `yes=… no=…` make a true/false choice instead. `mark_invalid` outlines the box
    when the FilterSet rejected its value."""
    if yes is not None:
        choices = [("true", yes), ("false", no)]
    return {
        "id": _field_id(name),
        "name": name,
        "label": label,
        "choices": [
            choice if isinstance(choice, tuple) else (choice, choice) for choice in choices
        ],
        "value": context["filter_values"].get(name, ""),
        "invalid": mark_invalid and name in context["filterset"].errors,
    }


@register.inclusion_tag("web/partials/_filter_range.html", takes_context=True)
def filter_range(
    context, low: str, high: str, label: str, low_label: str, high_label: str, *, days=False
) -> dict:
    """A from–to pair of dates (or, with `days=True`, of whole numbers of days), with one error
    line when either is invalid."""
    values = context["filter_values"]
    errors = context["filterset"].errors
    reversed_range = low in context.get("reversed_ranges", ())
    return {
        "id": _field_id(low),
        "reversed": reversed_range,
        "label": label,
        "days": days,
        "low": low,
        "low_value": values.get(low, ""),
        "low_label": low_label,
        "low_invalid": low in errors or reversed_range,
        "high": high,
        "high_value": values.get(high, ""),
        "high_label": high_label,
        "high_invalid": high in errors or reversed_range,
    }


class DialogNode(template.Node):
    def __init__(self, nodelist: template.NodeList, kwargs: dict) -> None:
        self.nodelist = nodelist
        self.kwargs = kwargs

    def render(self, context) -> str:
        values = {key: value.resolve(context) for key, value in self.kwargs.items()}
        frame = context.template.engine.get_template("web/partials/_dialog.html")
        with context.push(**values, body=mark_safe(self.nodelist.render(context))):
            return frame.render(context)


@register.tag
def dialog(parser, token) -> DialogNode:
    """A confirmation <dialog> (see web/static/web/daypass.js) around the body between
    `{% dialog %}` and `{% enddialog %}`:

        {% dialog id="lock-dialog" heading=_("Lock license") submit=_("Lock") %}…{% enddialog %}

    `action`: the URL it posts to (otherwise the opening button's formaction), `for_customer`:
    send the selected customer's number, `danger`: the submit button is marked dangerous.
    """
    bits = token.split_contents()
    kwargs = template.base.token_kwargs(bits[1:], parser)
    if len(kwargs) != len(bits) - 1:
        raise template.TemplateSyntaxError(f"{bits[0]} takes only name=value arguments")
    nodelist = parser.parse(("enddialog",))
    parser.delete_first_token()
    return DialogNode(nodelist, kwargs)
