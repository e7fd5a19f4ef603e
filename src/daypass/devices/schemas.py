"""API shapes of device models and devices (SPEC section 9)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from daypass.core.limits import (
    CODE_MAX_LENGTH,
    CUSTOMER_NUMBER_MAX_LENGTH,
    MAX_IMPORT_DEVICES,
    MAX_QUANTITY,
    NAME_MAX_LENGTH,
)
from daypass.core.schemas import InputSchema, PageQuery, SubtreeQuery
from daypass.devices.filters import MAX_REFUSED_WITHIN_DAYS


class DeviceModelOut(Schema):
    code: str
    name: str


class DeviceModelPage(Schema):
    items: list[DeviceModelOut]
    count: int


class DeviceModelIn(InputSchema):
    code: str = Field(min_length=1, max_length=CODE_MAX_LENGTH)
    name: str = Field("", max_length=NAME_MAX_LENGTH)


class DeviceOut(Schema):
    number: str
    model: str
    customer: str
    service_until: datetime | None
    blacklisted: bool
    licenses: list[str] = Field(description="Card numbers of the licenses bound to the device.")
    last_refused_at: datetime | None = Field(
        description="When the gate last recorded a refused report of the device (at most one "
        "recorded per minute, so at most a minute behind)."
    )
    refused_reports: int = Field(
        description="Refused reports recorded since the blacklist was last lifted (at most one "
        "a minute)."
    )


class DevicePage(Schema):
    items: list[DeviceOut]
    count: int


class DeviceQuery(PageQuery, SubtreeQuery):
    customer: str | None = Field(None, description="Whose devices; your own customer if omitted.")
    number: str | None = Field(
        None, description="A whole number, a prefix like ABC* or the last digits like *1234."
    )
    model: str | None = None
    blacklisted: bool | None = None
    refused_within_days: int | None = Field(
        None,
        ge=1,
        le=MAX_REFUSED_WITHIN_DAYS,
        description="Only devices with a refused report recorded in the last N days (N >= 1).",
    )


class DeviceIn(InputSchema):
    number: str = Field(min_length=1, max_length=CODE_MAX_LENGTH)
    model: str = Field(min_length=1, max_length=CODE_MAX_LENGTH)
    customer: str = Field(min_length=1, max_length=CUSTOMER_NUMBER_MAX_LENGTH)


class DeviceTransferIn(InputSchema):
    devices: list[str] = Field(min_length=1, max_length=MAX_QUANTITY)
    to: str = Field(min_length=1, max_length=CUSTOMER_NUMBER_MAX_LENGTH)


class DeviceTransferOut(Schema):
    batch: UUID
    devices: list[str]


class ClearBlacklistIn(InputSchema):
    reason: str = Field(min_length=1, description="Why, for the audit log (1 to 500 characters).")


class DeviceImportItem(InputSchema):
    # Blank or too long numbers are reported per row by the service (core/batch_errors.py).
    number: str = Field(max_length=CODE_MAX_LENGTH * 4)
    model: str = Field(max_length=CODE_MAX_LENGTH)
    customer: str = Field(max_length=CUSTOMER_NUMBER_MAX_LENGTH)


class DeviceImportIn(InputSchema):
    devices: list[DeviceImportItem] = Field(min_length=1, max_length=MAX_IMPORT_DEVICES)


class DeviceImportOut(Schema):
    count: int
