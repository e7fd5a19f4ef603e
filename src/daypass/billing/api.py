"""API: deduction records and the report gate."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.decorators import decorate_view

from daypass.billing.consumption import license_consumption
from daypass.billing.filters import DeductionFilterSet
from daypass.billing.gate import gate_check
from daypass.billing.models import Deduction
from daypass.billing.schemas import (
    ConsumptionOut,
    ConsumptionQuery,
    DeductionPage,
    DeductionQuery,
    GateIn,
    GateOut,
)
from daypass.billing.selectors import deduction_records
from daypass.core import clock
from daypass.core.api import ERROR_RESPONSES, filters_of, page_of
from daypass.core.responses import exception_response, json_response
from daypass.customers.auth import BearerToken, idempotent

router = Router(tags=["billing"])


def deduction_out(deduction: Deduction) -> dict:
    return {
        "id": deduction.pk,
        "at": deduction.at,
        "device": deduction.device.number,
        "card": deduction.license.card if deduction.license_id else None,
        "customer": deduction.customer.number,
        "days": deduction.days,
        "available_days_after": deduction.available_days_after,
        "window_start": deduction.window_start,
        "window_end": deduction.window_end,
        "trigger": deduction.trigger,
        "result": deduction.result,
        "reason": deduction.reason or None,
    }


def _deduction_page(request: HttpRequest, query: DeductionQuery, card: str | None) -> dict:
    records = deduction_records(
        request.auth,
        query.customer,
        filters_of(query, DeductionFilterSet),
        card=card,
        subtree=query.subtree,
    )
    return page_of(records, query, deduction_out, count=records.count)


# This router is added before the licenses router (daypass.api), so /licenses/{card} of the
# licenses router does not capture /licenses/consumption.
@router.get("/licenses/consumption", response={200: ConsumptionOut, **ERROR_RESPONSES})
def license_consumption_endpoint(request: HttpRequest, query: Query[ConsumptionQuery]):
    """Days deducted per day over `days` dates ending today, and the forecast (SPEC 13)."""
    return license_consumption(
        request.auth, query.customer, now=clock.now(), days=query.days, subtree=query.subtree
    )


@router.get("/deductions", response={200: DeductionPage, **ERROR_RESPONSES})
def deduction_list_endpoint(request: HttpRequest, query: Query[DeductionQuery]):
    return _deduction_page(request, query, card=None)


@router.get("/licenses/{card}/deductions", response={200: DeductionPage, **ERROR_RESPONSES})
def license_deduction_list(request: HttpRequest, card: str, query: Query[DeductionQuery]):
    # deduction_list answers 404 for a card outside the subtree.
    return _deduction_page(request, query, card=card)


GATE_AUTH = BearerToken(gate=True)
# Django's name for the Idempotency-Key header in request.META.
IDEMPOTENCY_META_KEY = "HTTP_IDEMPOTENCY_KEY"


@router.post(
    "/gate/reports",
    auth=GATE_AUTH,
    response={200: GateOut, **ERROR_RESPONSES},
    tags=["gate"],
)
@decorate_view(idempotent)
def gate_reports(request: HttpRequest, payload: GateIn) -> HttpResponse:
    """May these devices report data now? Answers in request order (SPEC 4.1).

    The hot path of the platform: one query for the token, one for the devices (plus one
    deduction transaction per device whose paid window ended). The answer is rendered directly,
    without re-validating 1,000 results against the output schema.
    """
    results = gate_check(
        device_numbers=[report.device for report in payload.reports], now=clock.now()
    )
    # GateResult is a dataclass with exactly the SPEC's fields; orjson renders it natively.
    return json_response({"results": results})


def gate_fast_path(ninja_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wraps the gate's URL view: a gateway's everyday report skips Ninja's request machinery.

    A POST with a token the gate admits, a body that parses and validates as `GateIn`, and no
    Idempotency-Key is answered here by the same endpoint function, with the same answer. Any
    other request (every error, an idempotent retry, a wrong method) goes to the Ninja
    operation untouched, which answers it as documented. Ninja's per-call work (a temporary
    response, a parameter model wrapping the body, an authentication loop) was ~40 us of the
    ~70 us of CPU the framework added to a single report beyond the health endpoint.
    """

    @wraps(ninja_view)
    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST" or IDEMPOTENCY_META_KEY in request.META:
            return ninja_view(request, *args, **kwargs)
        try:
            # The same steps as the operation: the token (remembered on the request, so the
            # fallback does not look it up twice), then the body as OrjsonParser reads it.
            account = GATE_AUTH(request)
            payload = GateIn.model_validate(orjson.loads(request.body))
        except Exception:  # noqa: BLE001 - the operation answers it, with the right envelope
            return ninja_view(request, *args, **kwargs)
        request.auth = account
        try:
            return gate_reports(request, payload)
        except Exception as exc:  # noqa: BLE001 - as the operation would: the API's handlers
            return exception_response(request, exc)

    return view
