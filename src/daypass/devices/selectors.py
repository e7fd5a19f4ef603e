"""Reads on devices (acting account first, 404 outside the actor's subtree)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, QuerySet

from daypass.core.errors import NotFound
from daypass.core.tenancy import owned_within
from daypass.customers.models import Account, Customer
from daypass.devices.filters import DeviceFilterSet
from daypass.devices.models import Device
from daypass.licenses.filters import apply_filters
from daypass.licenses.models import License
from daypass.licenses.selectors import selected_customer


def devices_with_licenses() -> QuerySet[Device]:
    return Device.objects.select_related("model", "customer").prefetch_related(
        Prefetch(
            "licenses",
            queryset=License.objects.select_related("type").order_by("card"),
        )
    )


def device_get(actor: Account, number: str) -> Device:
    """One device by number, with its bound licenses, if the actor can see it."""
    own = actor.customer
    if own is None:
        raise NotFound(message=f"Device {number} not found.")
    try:
        return devices_with_licenses().get(number=number, customer__path__startswith=own.path)
    except Device.DoesNotExist:
        raise NotFound(message=f"Device {number} not found.") from None


def device_list(
    actor: Account,
    customer: Customer | str | None,
    filters: Mapping[str, Any] | None = None,
    *,
    subtree: bool = False,
) -> QuerySet[Device]:
    """The devices the selected customer owns itself (with `subtree`: its subtree's), by number."""
    selected = selected_customer(actor, customer)
    scope = owned_within(selected, subtree=subtree)
    base = devices_with_licenses().filter(scope).order_by("number")
    return apply_filters(DeviceFilterSet, filters, base)
