"""Reads on devices (acting account first, 404 outside the actor's subtree)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet

from daypass.core.filters import apply_filters
from daypass.core.tenancy import customer_in_scope, named_in_order, named_one, owned_within
from daypass.customers.models import Account, Customer
from daypass.devices.filters import DeviceFilterSet
from daypass.devices.models import Device, DeviceModel
from daypass.licenses.models import License


def devices_with_licenses() -> QuerySet[Device]:
    return Device.objects.select_related("model", "customer").prefetch_related(
        Prefetch(
            "licenses",
            queryset=License.objects.select_related("type").order_by("card"),
        )
    )


def device_get(actor: Account, number: str) -> Device:
    """One device by number, with its bound licenses, if the actor can see it."""
    return named_one(
        devices_with_licenses(), field="number", value=number, noun="Device", actor=actor
    )


def devices_by_number(
    actor: Account, numbers: Sequence[str], *, queryset: QuerySet[Device] | None = None
) -> list[Device]:
    """The devices named, in request order, each inside the actor's subtree (and in `queryset`
    if given); else `NotFound` naming the first, in request order, that is not."""
    base = queryset if queryset is not None else Device.objects.all()
    return named_in_order(base, field="number", values=numbers, noun="Device", actor=actor)


def device_model_by_code(code: str) -> DeviceModel:
    """A device model named in a request (the catalogue is shared by every customer)."""
    return named_one(DeviceModel.objects.all(), field="code", value=code, noun="Device model")


def device_models_by_code(codes: Sequence[str]) -> list[DeviceModel]:
    return named_in_order(
        DeviceModel.objects.all(), field="code", values=codes, noun="Device model"
    )


def device_models() -> QuerySet[DeviceModel]:
    """The catalogue of device models, by code."""
    return DeviceModel.objects.order_by("code")


def device_model_codes() -> list[str]:
    """Every device model code, in order (a filter's choices)."""
    return list(device_models().values_list("code", flat=True))


def device_list(
    actor: Account,
    customer: Customer | str | None,
    filters: Mapping[str, Any] | None = None,
    *,
    subtree: bool = False,
) -> QuerySet[Device]:
    """The devices the selected customer owns itself (with `subtree`: its subtree's), by number."""
    selected = customer_in_scope(actor, customer)
    scope = owned_within(selected, subtree=subtree)
    base = devices_with_licenses().filter(scope).order_by("number")
    return apply_filters(DeviceFilterSet, filters, base)
