"""Reads of events (acting account first, 404 outside the actor's subtree)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django.db.models import QuerySet

from daypass.core.filters import InstantFromFilter, InstantToFilter, TextFilter, apply_filters
from daypass.core.tenancy import customer_in_scope, owned_within
from daypass.customers.models import Account, Customer
from daypass.events.models import Event


class EventFilterSet(django_filters.FilterSet):
    type = TextFilter(field_name="type")
    date_from = InstantFromFilter(field_name="at")
    date_to = InstantToFilter(field_name="at")

    class Meta:
        model = Event
        fields: list[str] = []


def event_list(
    actor: Account,
    customer: Customer | str | None,
    *,
    subtree: bool = False,
    filters: Mapping[str, Any] | None = None,
) -> QuerySet[Event]:
    """The selected customer's events (with `subtree`, also its sub-customers'), newest first."""
    selected = customer_in_scope(actor, customer)
    events = Event.objects.select_related("customer")
    events = events.filter(owned_within(selected, subtree=subtree))
    return apply_filters(EventFilterSet, filters, events).order_by("-at", "-id")
