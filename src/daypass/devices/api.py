"""API: device models, devices, device transfer."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from daypass.core import clock
from daypass.core.api import ERROR_RESPONSES, filters_of, page_of
from daypass.core.schemas import PageQuery
from daypass.customers.auth import idempotent
from daypass.customers.selectors import customer_get
from daypass.devices.filters import DeviceFilterSet
from daypass.devices.imports import DeviceImportRow, devices_import
from daypass.devices.schemas import (
    ClearBlacklistIn,
    DeviceImportIn,
    DeviceImportOut,
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
from daypass.devices.selectors import (
    device_get,
    device_list,
    device_model_by_code,
    device_models,
    devices_by_number,
)
from daypass.devices.services import (
    device_clear_blacklist,
    device_model_create,
    device_register,
    devices_transfer,
)
from daypass.devices.shapes import device_out

router = Router(tags=["devices"])


@router.get("/device-models", response={200: DeviceModelPage, **ERROR_RESPONSES})
def device_models_endpoint(request: HttpRequest, query: Query[PageQuery]):
    # Device models are a catalogue shared by every customer.
    return page_of(
        device_models(),
        query,
        lambda m: {"code": m.code, "name": m.name},
    )


@router.post("/device-models", response={201: DeviceModelOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def device_model_create_endpoint(request: HttpRequest, payload: DeviceModelIn):
    model = device_model_create(
        actor=request.auth, code=payload.code, name=payload.name, now=clock.now()
    )
    return Status(201, {"code": model.code, "name": model.name})


@router.get("/devices", response={200: DevicePage, **ERROR_RESPONSES})
def device_list_endpoint(request: HttpRequest, query: Query[DeviceQuery]):
    devices = device_list(
        request.auth, query.customer, filters_of(query, DeviceFilterSet), subtree=query.subtree
    )
    return page_of(devices, query, device_out)


@router.post("/devices", response={201: DeviceOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def device_register_endpoint(request: HttpRequest, payload: DeviceIn):
    device = device_register(
        actor=request.auth,
        number=payload.number,
        model=device_model_by_code(payload.model),
        customer=customer_get(request.auth, payload.customer),
        now=clock.now(),
    )
    return Status(201, device_out(device))


@router.post("/devices/import", response={201: DeviceImportOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def device_import(request: HttpRequest, payload: DeviceImportIn):
    """Register up to 10,000 devices, all or nothing (platform admin). Any bad row: 422 whose
    error carries `rows`: `[{"row", "code", "message"}]`, one per bad row, row from 1."""
    count = devices_import(
        actor=request.auth,
        rows=[
            DeviceImportRow(number=d.number, model=d.model, customer=d.customer)
            for d in payload.devices
        ],
        now=clock.now(),
    )
    return Status(201, {"count": count})


@router.post("/devices/transfer", response={200: DeviceTransferOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def devices_transfer_endpoint(request: HttpRequest, payload: DeviceTransferIn):
    devices = devices_by_number(request.auth, payload.devices)
    to = customer_get(request.auth, payload.to)
    result = devices_transfer(actor=request.auth, devices=devices, to=to, now=clock.now())
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
