"""API shapes of license types, licenses and transfers (SPEC section 9)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from daypass.core.limits import (
    CODE_MAX_LENGTH,
    CUSTOMER_NUMBER_MAX_LENGTH,
    MAX_BIND_BATCH,
    MAX_DAYS,
    MAX_FILTER_DAYS,
    MAX_PERIOD_HOURS,
    MAX_QUANTITY,
    MAX_TOP_UP_BATCH,
    MAX_TYPE_MODELS,
    NAME_MAX_LENGTH,
)
from daypass.core.schemas import DATE_HELP, InputSchema, PageQuery, SubtreeQuery
from daypass.customers.schemas import CustomerOut
from daypass.devices.schemas import DeviceOut

StatusName = Literal["unused", "inactive", "in_use", "deactivated", "expired"]
MethodName = Literal["sell", "return", "bind", "device"]
LicenseOrder = Literal[
    "card",
    "-card",
    "available_days",
    "-available_days",
    "total_days",
    "-total_days",
    "activated_at",
    "-activated_at",
    "bound_at",
    "-bound_at",
]
NUMBER_HELP = "A whole number, a prefix like ABC* or the last digits like *1234."


class LicenseTypeOut(Schema):
    code: str
    name: str
    days: int
    models: list[str]
    charge_days: int
    period_hours: int


class LicenseTypePage(Schema):
    items: list[LicenseTypeOut]
    count: int


class LicenseTypeIn(InputSchema):
    code: str = Field(min_length=1, max_length=CODE_MAX_LENGTH)
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    days: int = Field(ge=1, le=MAX_DAYS)
    models: list[str] = Field(min_length=1, max_length=MAX_TYPE_MODELS)
    charge_days: int = Field(1, ge=1, le=MAX_DAYS)
    period_hours: int = Field(24, ge=1, le=MAX_PERIOD_HOURS)


class LicenseOut(Schema):
    card: str
    type: str
    models: list[str]
    total_days: int
    available_days: int
    status: StatusName
    locked: bool
    activated_at: datetime | None
    device: str | None
    bound_at: datetime | None
    customer: str


class LicensePage(Schema):
    items: list[LicenseOut]
    count: int


class LicenseQuery(PageQuery, SubtreeQuery):
    customer: str | None = Field(None, description="Whose licenses; your own customer if omitted.")
    card: str | None = Field(None, description=f"Card number. {NUMBER_HELP}")
    type: str | None = Field(None, description="License code.")
    status: StatusName | None = None
    days_min: int | None = Field(
        None, ge=0, le=MAX_FILTER_DAYS, description="Available days at least (inclusive)."
    )
    days_max: int | None = Field(
        None, ge=0, le=MAX_FILTER_DAYS, description="Available days at most (inclusive)."
    )
    activated_from: str | None = Field(None, description=DATE_HELP)
    activated_to: str | None = Field(None, description=DATE_HELP)
    device: str | None = Field(None, description=f"Bound device number. {NUMBER_HELP}")
    locked: bool | None = None
    order: LicenseOrder | None = None


class CustomerQuery(SubtreeQuery):
    customer: str | None = Field(None, description="Whose data; your own customer if omitted.")


class SummaryQuery(CustomerQuery):
    type: str | None = Field(None, description="License code.")


class CustomerRollupOut(Schema):
    customer: str
    name: str
    total: int
    below_30_days: int
    below_7_days: int
    by_status: dict[str, int]
    devices: int
    blacklisted_devices: int


class LicenseStatsOut(Schema):
    total: int
    below_30_days: int
    below_7_days: int
    by_type: dict[str, int]
    by_status: dict[str, int]
    by_customer: list[CustomerRollupOut] | None = Field(
        None,
        description="With subtree=true only: the customer's own licenses first, then one row "
        "per child covering that child's whole subtree.",
    )


class LicenseSummaryRow(Schema):
    type: str
    name: str
    days: int
    models: list[str]
    unused: int
    inactive: int
    in_use: int
    deactivated: int
    expired: int
    total: int


class LicenseSummaryOut(Schema):
    items: list[LicenseSummaryRow]


class IssueIn(InputSchema):
    type: str = Field(min_length=1, max_length=CODE_MAX_LENGTH, description="License code.")
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    customer: str | None = Field(None, description="Issue to this customer (a sale).")


class CardsOut(Schema):
    cards: list[str]


class BindIn(InputSchema):
    device: str = Field(min_length=1, max_length=CODE_MAX_LENGTH)


class TopUpIn(InputSchema):
    days: int = Field(ge=1, le=MAX_DAYS)


class TopUpManyIn(InputSchema):
    cards: list[str] = Field(min_length=1, max_length=MAX_TOP_UP_BATCH)
    days: int = Field(ge=1, le=MAX_DAYS)


class BindItemIn(InputSchema):
    device: str = Field(min_length=1, max_length=CODE_MAX_LENGTH)
    card: str | None = Field(None, min_length=1, max_length=CODE_MAX_LENGTH)
    type: str | None = Field(
        None,
        min_length=1,
        max_length=CODE_MAX_LENGTH,
        description="A license code: the oldest eligible card of your customer.",
    )


class BindBatchIn(InputSchema):
    items: list[BindItemIn] = Field(min_length=1, max_length=MAX_BIND_BATCH)


class BindPairOut(Schema):
    device: str
    card: str


class BindBatchOut(Schema):
    batch: UUID
    items: list[BindPairOut]


class SellIn(InputSchema):
    to: str = Field(
        min_length=1,
        max_length=CUSTOMER_NUMBER_MAX_LENGTH,
        description="A child customer's number.",
    )
    cards: list[str] | None = Field(None, min_length=1, max_length=MAX_QUANTITY)
    type: str | None = Field(None, description="With quantity: batch select of this code.")
    quantity: int | None = Field(None, ge=1, le=MAX_QUANTITY)


class ReturnIn(InputSchema):
    cards: list[str] | None = Field(None, min_length=1, max_length=MAX_QUANTITY)
    customer: str | None = Field(
        None, description="With quantity: whose licenses to batch select (yours if omitted)."
    )
    type: str | None = Field(None, description="With quantity: batch select of this code.")
    quantity: int | None = Field(None, ge=1, le=MAX_QUANTITY)


class BatchOut(Schema):
    batch: UUID
    cards: list[str]


class TransferOut(Schema):
    at: datetime
    card: str
    type: str
    from_: str | None = Field(alias="from")
    to: str
    method: MethodName
    batch: UUID
    account: str | None


class TransferPage(Schema):
    items: list[TransferOut]
    count: int


class TransferQuery(PageQuery, SubtreeQuery):
    customer: str | None = Field(None, description="Whose records; your own customer if omitted.")
    counterpart: str | None = Field(
        None,
        description="Only transfers with this customer (a number in your subtree, or the "
        "selected customer's parent).",
    )
    card: str | None = None
    type: str | None = Field(None, description="License code.")
    method: MethodName | None = None
    date_from: str | None = Field(None, description=DATE_HELP)
    date_to: str | None = Field(None, description=DATE_HELP)


class SearchOut(Schema):
    customers: list[CustomerOut]
    licenses: list[LicenseOut]
    devices: list[DeviceOut]
