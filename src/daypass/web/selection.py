"""Which customer a page shows: `?customer=C000123` in the URL, remembered in the session.

The URL wins so links stay shareable; the session only fills in when a link carries no number
(e.g. the sidebar after the first switch). A number outside the account's subtree is a 404,
exactly like a number that does not exist.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest

from daypass.core.errors import NotFound
from daypass.core.tenancy import customer_in_scope
from daypass.customers.models import Customer
from daypass.customers.selectors import customer_choices

SESSION_KEY = "daypass_customer"


def selected_customer(request: HttpRequest) -> Customer:
    explicit = request.GET.get("customer") or request.POST.get("customer")
    number = explicit or request.session.get(SESSION_KEY)
    try:
        customer = customer_in_scope(request.user, number)
    except NotFound:
        if explicit:
            raise Http404("No such customer.") from None
        # A remembered number that is no longer in scope (customer moved): fall back to own.
        customer = customer_in_scope(request.user, None)
    if request.session.get(SESSION_KEY) != customer.number:
        request.session[SESSION_KEY] = customer.number
    return customer


def selector_customers(request: HttpRequest) -> list[Customer]:
    """The account's customer and its whole subtree, in tree order, for the selector."""
    return customer_choices(request.user)


def subtree_selected(request: HttpRequest) -> bool:
    """`?subtree=true`: the page shows the selected customer with its whole subtree (SPEC 13)."""
    return request.GET.get("subtree") == "true"
