"""API: license types, licenses (list, statistics, operations) and transfers (sales records).

Route order matters: the fixed paths (/licenses/stats, /summary, /issue, /sell, /return) are
declared before /licenses/{card}, so a card number never captures them.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from daypass.core import clock
from daypass.core.api import ERROR_RESPONSES, filters_of, page_of
from daypass.core.errors import ValidationFailed
from daypass.core.responses import json_response
from daypass.core.schemas import PageQuery
from daypass.core.tenancy import customer_in_scope
from daypass.customers.auth import idempotent
from daypass.customers.selectors import customer_get
from daypass.customers.shapes import customer_out
from daypass.devices.selectors import device_get, device_models_by_code
from daypass.devices.shapes import device_out
from daypass.licenses.filters import LicenseFilterSet, TransferFilterSet
from daypass.licenses.models import Transfer
from daypass.licenses.schemas import (
    BatchOut,
    BindBatchIn,
    BindBatchOut,
    BindIn,
    CardsOut,
    CustomerQuery,
    IssueIn,
    LicenseOut,
    LicensePage,
    LicenseQuery,
    LicenseStatsOut,
    LicenseSummaryOut,
    LicenseTypeIn,
    LicenseTypeOut,
    LicenseTypePage,
    ReturnIn,
    SearchOut,
    SellIn,
    SummaryQuery,
    TopUpIn,
    TopUpManyIn,
    TransferPage,
    TransferQuery,
)
from daypass.licenses.search import search
from daypass.licenses.selectors import (
    license_get,
    license_list,
    license_stats,
    license_summary,
    license_type_by_code,
    license_types,
    licenses_by_card,
    transfer_list,
)
from daypass.licenses.services import (
    license_bind,
    license_lock,
    license_top_up,
    license_type_create,
    license_unbind,
    license_unlock,
    licenses_batch_select,
    licenses_issue,
    licenses_return,
    licenses_sell,
)
from daypass.licenses.services.batches import BindItem, licenses_bind_batch, licenses_top_up_many
from daypass.licenses.shapes import license_out, license_type_out

router = Router(tags=["licenses"])

# --- shapes ---------------------------------------------------------------------------------


def transfer_out(transfer: Transfer) -> dict:
    return {
        "at": transfer.at,
        "card": transfer.license.card,
        "type": transfer.type.code,
        "from": transfer.from_customer.number if transfer.from_customer_id else None,
        "to": transfer.to_customer.number,
        "method": transfer.method,
        "batch": transfer.batch,
        "account": transfer.account_username or None,
    }


# --- lookups of objects named in a request --------------------------------------------------


def batch_choice(payload: SellIn | ReturnIn) -> None:
    if payload.cards and payload.quantity is not None:
        raise ValidationFailed(message="Give either cards or quantity, not both.", field="cards")
    if not payload.cards and payload.quantity is None:
        raise ValidationFailed(message="Give cards, or quantity to batch select.", field="cards")


# --- license types --------------------------------------------------------------------------


@router.get("/license-types", response={200: LicenseTypePage, **ERROR_RESPONSES})
def license_types_endpoint(request: HttpRequest, query: Query[PageQuery]):
    # License types are a catalogue shared by every customer.
    return page_of(license_types(), query, license_type_out)


@router.post("/license-types", response={201: LicenseTypeOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def license_type_create_endpoint(request: HttpRequest, payload: LicenseTypeIn):
    models = device_models_by_code(payload.models)
    license_type = license_type_create(
        actor=request.auth,
        code=payload.code,
        name=payload.name,
        days=payload.days,
        models=models,
        charge_days=payload.charge_days,
        period_hours=payload.period_hours,
        now=clock.now(),
    )
    return Status(201, license_type_out(license_type))


# --- licenses: lists and statistics ---------------------------------------------------------


@router.get("/licenses", response={200: LicensePage, **ERROR_RESPONSES})
def license_list_endpoint(request: HttpRequest, query: Query[LicenseQuery]):
    licenses = license_list(
        request.auth, query.customer, filters_of(query, LicenseFilterSet), subtree=query.subtree
    )
    return page_of(licenses, query, license_out)


# `by_customer` is left out unless subtree=true.
@router.get(
    "/licenses/stats", response={200: LicenseStatsOut, **ERROR_RESPONSES}, exclude_none=True
)
def license_stats_endpoint(request: HttpRequest, query: Query[CustomerQuery]):
    return license_stats(request.auth, query.customer, subtree=query.subtree)


@router.get("/licenses/summary", response={200: LicenseSummaryOut, **ERROR_RESPONSES})
def license_summary_endpoint(request: HttpRequest, query: Query[SummaryQuery]):
    items = license_summary(
        request.auth, query.customer, type_code=query.type, subtree=query.subtree
    )
    return {"items": items}


# --- licenses: batch operations -------------------------------------------------------------


@router.post("/licenses/issue", response={201: CardsOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def licenses_issue_endpoint(request: HttpRequest, payload: IssueIn):
    licenses = licenses_issue(
        actor=request.auth,
        license_type=license_type_by_code(payload.type),
        quantity=payload.quantity,
        customer=customer_get(request.auth, payload.customer) if payload.customer else None,
        now=clock.now(),
    )
    # Rendered directly: 100,000 cards need no re-validation against the output schema.
    return json_response({"cards": licenses.cards}, status=201)


@router.post("/licenses/sell", response={200: BatchOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def licenses_sell_endpoint(request: HttpRequest, payload: SellIn):
    actor = request.auth
    batch_choice(payload)
    to = customer_get(actor, payload.to)
    if payload.cards:
        licenses = licenses_by_card(actor, payload.cards)
    else:
        licenses = licenses_batch_select(
            actor=actor,
            customer=actor.customer,
            quantity=payload.quantity,
            purpose="sell",
            license_type=license_type_by_code(payload.type) if payload.type else None,
        )
    result = licenses_sell(actor=actor, licenses=licenses, to=to, now=clock.now())
    return json_response({"batch": result.batch, "cards": result.cards})


@router.post("/licenses/return", response={200: BatchOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def licenses_return_endpoint(request: HttpRequest, payload: ReturnIn):
    actor = request.auth
    batch_choice(payload)
    if payload.cards:
        licenses = licenses_by_card(actor, payload.cards)
    else:
        licenses = licenses_batch_select(
            actor=actor,
            customer=customer_in_scope(actor, payload.customer),
            quantity=payload.quantity,
            purpose="return",
            license_type=license_type_by_code(payload.type) if payload.type else None,
        )
    result = licenses_return(actor=actor, licenses=licenses, now=clock.now())
    return json_response({"batch": result.batch, "cards": result.cards})


@router.post("/licenses/top-up", response={200: CardsOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def license_top_up_many(request: HttpRequest, payload: TopUpManyIn):
    """Top up to 10,000 licenses by `days` each, all or nothing (platform admin)."""
    topped = licenses_top_up_many(
        actor=request.auth,
        licenses=licenses_by_card(request.auth, payload.cards),
        days=payload.days,
        now=clock.now(),
    )
    return {"cards": [lic.card for lic in topped]}


@router.post("/licenses/bind-batch", response={200: BindBatchOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def license_bind_batch(request: HttpRequest, payload: BindBatchIn):
    """Bind up to 1,000 devices, each to a named card or to the oldest eligible card of a
    license code, all or nothing."""
    result = licenses_bind_batch(
        actor=request.auth,
        items=[BindItem(device=i.device, card=i.card, type=i.type) for i in payload.items],
        now=clock.now(),
    )
    return {
        "batch": result.batch,
        "items": [{"device": device, "card": card} for device, card in result.items],
    }


# --- one license ----------------------------------------------------------------------------


@router.get("/licenses/{card}", response={200: LicenseOut, **ERROR_RESPONSES})
def license_get_endpoint(request: HttpRequest, card: str):
    return license_out(license_get(request.auth, card))


@router.post("/licenses/{card}/lock", response={200: LicenseOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def license_lock_endpoint(request: HttpRequest, card: str):
    license = license_get(request.auth, card)
    return license_out(license_lock(actor=request.auth, license=license, now=clock.now()))


@router.post("/licenses/{card}/unlock", response={200: LicenseOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def license_unlock_endpoint(request: HttpRequest, card: str):
    license = license_get(request.auth, card)
    return license_out(license_unlock(actor=request.auth, license=license, now=clock.now()))


@router.post("/licenses/{card}/unbind", response={200: LicenseOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def license_unbind_endpoint(request: HttpRequest, card: str):
    license = license_get(request.auth, card)
    return license_out(license_unbind(actor=request.auth, license=license, now=clock.now()))


@router.post("/licenses/{card}/bind", response={200: LicenseOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def license_bind_endpoint(request: HttpRequest, card: str, payload: BindIn):
    license = license_get(request.auth, card)
    # A device outside the actor's subtree is not_found; one inside it but outside the license
    # owner's subtree is the service's device_not_in_subtree.
    device = device_get(request.auth, payload.device)
    bound = license_bind(actor=request.auth, license=license, device=device, now=clock.now())
    return license_out(bound)


@router.post("/licenses/{card}/top-up", response={200: LicenseOut, **ERROR_RESPONSES})
@decorate_view(idempotent)
def license_top_up_endpoint(request: HttpRequest, card: str, payload: TopUpIn):
    license = license_get(request.auth, card)
    topped = license_top_up(actor=request.auth, license=license, days=payload.days, now=clock.now())
    return license_out(topped)


# --- transfers (sales records) --------------------------------------------------------------


@router.get("/transfers", response={200: TransferPage, **ERROR_RESPONSES}, by_alias=True)
def transfer_list_endpoint(request: HttpRequest, query: Query[TransferQuery]):
    transfers = transfer_list(
        request.auth,
        query.customer,
        filters_of(query, TransferFilterSet),
        subtree=query.subtree,
        counterpart=query.counterpart,
    )
    return page_of(transfers, query, transfer_out)


# --- search (SPEC 13) -----------------------------------------------------------------------


@router.get("/search", response={200: SearchOut, **ERROR_RESPONSES})
def search_endpoint(request: HttpRequest, q: str):
    """Customers, cards and devices of your subtree matching `q`, at most 10 of each."""
    found = search(request.auth, q)
    return {
        "customers": [customer_out(c) for c in found.customers],
        "licenses": [license_out(lic) for lic in found.licenses],
        "devices": [device_out(d) for d in found.devices],
    }
