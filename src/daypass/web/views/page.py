"""What every page of the console shares: login, the selected customer, errors as messages.

Views stay thin: parse input, call a selector or a service, render. A `DaypassError` from a
service becomes a message on the page (never a stack trace); `NotFound` becomes a 404, the same
for what does not exist and what lies outside the account's subtree.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from html import escape
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django_htmx.http import HttpResponseClientRedirect

from daypass.core.errors import DaypassError, NotFound
from daypass.core.filters import REJECTED_CODES, filter_names
from daypass.core.limits import CONSOLE_PAGE_SIZES, DEFAULT_PAGE_SIZE
from daypass.core.paging import Count, ListPaginator
from daypass.customers.models import Customer
from daypass.web.error_messages import error_text
from daypass.web.selection import selector_customers

PASSWORD_CHANGE_VIEW = "web:password_change"
PAGE_SIZES = CONSOLE_PAGE_SIZES


def console_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; `NotFound` from any selector or service is a plain 404.

    When the session has expired, an htmx request (a filter change) is told to load the login
    page as a whole page; a plain redirect would put the login form inside the table.
    """
    protected = login_required(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and getattr(request, "htmx", False):
            current = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(redirect_to_login(current).url)
        if (
            request.user.is_authenticated
            and request.user.must_change_password
            and request.resolver_match.view_name != PASSWORD_CHANGE_VIEW
        ):
            # SPEC 13: an account created by someone else chooses its own password first.
            target = (
                reverse(PASSWORD_CHANGE_VIEW) + "?" + urlencode({"next": request.get_full_path()})
            )
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(target)
            return HttpResponseRedirect(target)
        try:
            return protected(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from None

    return wrapper


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    customer: Customer,
    nav: str,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only `partial` when htmx asks for the table alone."""
    context = {**context, "customer": customer, "nav": nav}
    if partial and getattr(request, "htmx", False) and not request.htmx.boosted:
        return render(request, partial, context, status=status)
    own = request.user.customer
    options = selector_customers(request)
    for option in options:
        option.relative_depth = option.depth - own.depth
        option.indent = round(0.5 + 1.1 * option.relative_depth, 2)
    context["selector_customers"] = options
    context["selector_items"] = selector_items(request.path, options, customer)
    return render(request, template, context, status=status)


def selector_items(path: str, options: list[Customer], current: Customer) -> str:
    """The `<li>` of every customer of the top bar's selector, built here, not in the template:
    a platform has a thousand customers, and a template loop (or `format_html`) over them cost
    400 to 700 ms on every page (bench/pages.py); plain escaped f-strings cost a few ms."""
    base = escape(f"{path}?customer=")
    items = []
    for option in options:
        number, name = escape(option.number), escape(option.name)
        mark = ' class="current" aria-current="true"' if option.pk == current.pk else ""
        tree = "└ " if option.relative_depth else ""
        items.append(
            f'<li data-search="{escape(option.number.lower())} {escape(option.name.lower())}">'
            f'<a href="{base}{number}"{mark} style="padding-left: {option.indent}rem">'
            f'<span class="tree-mark">{tree}</span>{name} <span class="muted mono">{number}</span>'
            "</a></li>"
        )
    return mark_safe("\n".join(items))  # noqa: S308 (every value above is escaped)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go after a POST: the page it came from, if that page is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def run_action(
    request: HttpRequest,
    action: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    next_url: str,
) -> HttpResponse:
    """Call a service; show its error or `success` as a message; go back to `next_url`."""
    try:
        result = action()
    except NotFound as error:
        raise Http404(error.message) from None
    except DaypassError as error:
        messages.error(request, error_text(error))
        return HttpResponseRedirect(next_url)
    messages.success(request, success(result) if callable(success) else success)
    return HttpResponseRedirect(next_url)


def valid_filters(request: HttpRequest, filterset_class: type) -> tuple[QueryDict, dict[str, Any]]:
    """The list's filter values that are valid, and what its filter form shows: the bound
    FilterSet (`filterset`, with errors for the rest), the values as given (`filter_values`)
    and the page's status (`filter_status`).

    The page shows an invalid value's error next to its field and filters by the others, where
    the API would answer 422. A date out of range or text holding NUL makes the page a 422
    too (SPEC 9), still with the error next to the field.
    """
    fields = filter_names(filterset_class)
    data = QueryDict(mutable=True)
    for field in fields:
        value = request.GET.get(field, "").strip()
        if value:
            data[field] = value
    filterset = filterset_class(data=data)
    status = 200
    if not filterset.is_valid():
        for field, errors in filterset.form.errors.as_data().items():
            data.pop(field, None)
            if any(error.code in REJECTED_CODES for error in errors):
                status = 422
    reversed_ranges = {}
    cleaned = getattr(filterset.form, "cleaned_data", {})
    for low, high, label in RANGE_FILTERS:
        if low in data and high in data and _after(cleaned.get(low), cleaned.get(high)):
            # "From" after "to" would silently match nothing: say so, and filter without it.
            reversed_ranges[low] = label
            data.pop(low)
            data.pop(high)
    form = {
        "filterset": filterset,
        "filter_values": {field: request.GET.get(field, "") for field in fields},
        "reversed_ranges": reversed_ranges,
        "filter_status": status,
    }
    return data, form


# The from–to pairs of the lists' filters: (first field, second field, what the pair filters).
RANGE_FILTERS = (
    ("days_min", "days_max", gettext_lazy("Available days")),
    ("date_from", "date_to", gettext_lazy("Date")),
    ("activated_from", "activated_to", gettext_lazy("Activation time")),
)


def _after(low: Any, high: Any) -> bool:
    if low is None or high is None:
        return False
    try:
        return low > high
    except TypeError:  # a date against an instant: compare their calendar dates
        as_date = [value.date() if hasattr(value, "date") else value for value in (low, high)]
        return as_date[0] > as_date[1]


def page_size_of(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("page_size", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def paginate(request: HttpRequest, queryset: QuerySet, count: Count = None) -> Page:
    """The requested page (`page`, `page_size`) of a list, read by `core.paging` (deep pages
    through a deferred join). `count`: the list's total (or a function giving it) when an
    exact COUNT(*) would be too expensive, e.g. kept in a roll-up (billing/selectors.py
    `DeductionRecords`)."""
    return ListPaginator(queryset, page_size_of(request), count=count).get_page(
        request.GET.get("page")
    )
