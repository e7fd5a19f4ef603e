"""API: device models, devices, device transfer."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from daypass.core import clock
from daypass.core.api import ERROR_RESPONSES, filters_of, idempotent, page_of
from daypass.core.errors import NotFound
from daypass.core.schemas import PageQuery
from daypass.customers.api import customer_by_number
from daypass.devices.models import Device, DeviceModel
from daypass.devices.schemas import (
    ClearBlacklistIn,
    DeviceIn,
    DeviceModelIn,
    DeviceModelOut,
    DeviceModelPage,
    DeviceOut,
    DevicePage,
    DeviceQuery,
    DeviceTransferIn,
    DeviceTransferOut,
)
from daypass.devices.selectors import device_get, device_list
from daypass.devices.services import (
    device_clear_blacklist,
    device_model_create,
    device_register,
    devices_transfer,
)

router = Router(tags=["devices"])

FILTER_FIELDS = ("number", "model", "blacklisted", "refused_within_days")


def device_out(device: Device) -> dict:
    # device_list/device_get prefetch the bound licenses in card order.
    bound = sorted(device.licenses.all(), key=lambda lic: lic.card)
    return {
        "number": device.number,
        "model": device.model.code,
        "customer": device.customer.number,
        "service_until": device.service_until,
        "blacklisted": device.blacklisted,
        "licenses": [lic.card for lic in bound],
        "last_refused_at": device.last_refused_at,
        "refused_reports": device.refused_reports,
    }


def device_model_by_code(code: str) -> DeviceModel:
    model = DeviceModel.objects.filter(code=code).first()
    if model is None:
        raise NotFound(message=f"Device model {code} not found.")
    return model


@router.get("/device-models", response={200: DeviceModelPage, **ERROR_RESPONSES})
def device_model_list(request: HttpRequest, query: Query[PageQuery]):
    # Device models are a catalogue shared by every customer.
    return page_of(
        DeviceModel.objects.order_by("code"),
        query,
        lambda m: {"code": m.code, "name": m.name},
    )


@router.post("/device-models", response={201: DeviceModelOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def device_model_add(request: HttpRequest, payload: DeviceModelIn):
    model = device_model_create(
        actor=request.auth, code=payload.code, name=payload.name, now=clock.now()
    )
    return Status(201, {"code": model.code, "name": model.name})


@router.get("/devices", response={200: DevicePage, **ERROR_RESPONSES})
def device_list_endpoint(request: HttpRequest, query: Query[DeviceQuery]):
    devices = device_list(
        request.auth, query.customer, filters_of(query, FILTER_FIELDS), subtree=query.subtree
    )
    return page_of(devices, query, device_out)


@router.post("/devices", response={201: DeviceOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def device_add(request: HttpRequest, payload: DeviceIn):
    device = device_register(
        actor=request.auth,
        number=payload.number,
        model=device_model_by_code(payload.model),
        customer=customer_by_number(payload.customer),
        now=clock.now(),
    )
    return Status(201, device_out(device))


@router.post("/devices/transfer", response={200: DeviceTransferOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def device_transfer(request: HttpRequest, payload: DeviceTransferIn):
    numbers = list(dict.fromkeys(payload.devices))
    devices = list(Device.objects.filter(number__in=numbers))
    if len(devices) != len(numbers):
        missing = sorted(set(numbers) - {d.number for d in devices})[0]
        raise NotFound(message=f"Device {missing} not found.")
    result = devices_transfer(
        actor=request.auth, devices=devices, to=customer_by_number(payload.to), now=clock.now()
    )
    return {"batch": result.batch, "devices": [d.number for d in result.devices]}


# Declared after the fixed paths (/devices/transfer, /devices/import): a number never captures them.
@router.get("/devices/{number}", response={200: DeviceOut, **ERROR_RESPONSES})
def device_detail(request: HttpRequest, number: str):
    return device_out(device_get(request.auth, number))


@router.post("/devices/{number}/clear-blacklist", response={200: DeviceOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def device_clear_blacklist_endpoint(request: HttpRequest, number: str, payload: ClearBlacklistIn):
    """Lift a device's blacklist by hand (platform admin); a device not blacklisted is unchanged."""
    device = device_get(request.auth, number)
    device_clear_blacklist(
        actor=request.auth, device=device, now=clock.now(), reason=payload.reason, by_hand=True
    )
    return device_out(device_get(request.auth, number))
