"""API shapes of deductions and the report gate (SPEC section 9)."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import BaseModel

from daypass.core.limits import CODE_MAX_LENGTH, MAX_GATE_BATCH
from daypass.core.schemas import DATE_HELP, STRICT, PageQuery, SubtreeQuery
from daypass.licenses.schemas import CustomerQuery

GateReason = Literal["paid", "charged", "unknown_device", "blacklisted", "no_valid_license"]


class DeductionOut(Schema):
    id: int
    at: datetime
    device: str
    card: str | None
    customer: str
    days: int
    available_days_after: int | None
    window_start: datetime
    window_end: datetime | None
    trigger: Literal["report", "sweep"]
    result: Literal["success", "failed"]
    reason: str | None


# The deduction shape's fields in order: the columns of the CSV export and of the archive.
DEDUCTION_FIELDS = list(DeductionOut.model_fields)


class DeductionPage(Schema):
    items: list[DeductionOut]
    count: int


class DeductionQuery(PageQuery, SubtreeQuery):
    customer: str | None = Field(None, description="Whose records; your own customer if omitted.")
    card: str | None = None
    device: str | None = None
    result: Literal["success", "failed"] | None = None
    date_from: str | None = Field(None, description=DATE_HELP)
    date_to: str | None = Field(None, description=DATE_HELP)


# The gate's input is plain pydantic, not ninja.Schema: Schema's root validator (made to read
# Django model instances) cost more than the rest of a 1,000-report call put together.
class GateReportIn(BaseModel):
    model_config = STRICT

    device: str = Field(min_length=1, max_length=CODE_MAX_LENGTH)


class GateIn(BaseModel):
    model_config = STRICT

    reports: list[GateReportIn] = Field(min_length=1, max_length=MAX_GATE_BATCH)


class GateResultOut(Schema):
    device: str
    allowed: bool
    reason: GateReason
    service_until: datetime | None


class GateOut(Schema):
    results: list[GateResultOut]


class ConsumptionQuery(CustomerQuery):
    days: int = Field(90, ge=1, le=366, description="How many dates, ending today (UTC).")


class ConsumptionDay(Schema):
    date: Date
    days: int
    charges: int
    failed: int


class ForecastFigures(Schema):
    daily_days: float
    bound_days: int
    stock_days: int
    stock_runs_out_on: Date | None


class TypeForecast(ForecastFigures):
    type: str


class Forecast(ForecastFigures):
    by_type: list[TypeForecast]


class ConsumptionOut(Schema):
    items: list[ConsumptionDay]
    forecast: Forecast
