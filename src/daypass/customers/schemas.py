"""API shapes of customers, accounts and tokens (SPEC section 9)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from daypass.core.limits import NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH
from daypass.core.schemas import InputSchema
from daypass.customers.tokens import MAX_TOKEN_DAYS

RoleName = Literal["admin", "operator", "viewer", "gateway"]


class CustomerOut(Schema):
    number: str
    name: str
    parent: str | None = Field(description="The parent's customer number; null for the platform.")
    depth: int
    allow_superior_manage_licenses: bool
    allow_auto_renew: bool


class CustomerPage(Schema):
    items: list[CustomerOut]
    count: int


class MeOut(Schema):
    username: str
    role: RoleName
    customer: CustomerOut


class CustomerCreateIn(InputSchema):
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    parent: str | None = Field(
        None, description="Parent customer number; the caller's own customer if omitted."
    )
    admin_username: str = Field(min_length=1, max_length=USERNAME_MAX_LENGTH)
    admin_password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class CustomerSettingsIn(InputSchema):
    """Either switch or both; a switch left out keeps its value."""

    allow_superior_manage_licenses: bool = None
    allow_auto_renew: bool = None


class AccountCreateIn(InputSchema):
    username: str = Field(min_length=1, max_length=USERNAME_MAX_LENGTH)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)
    role: RoleName


class AccountOut(Schema):
    username: str
    role: RoleName
    customer: str


class AccountDetailOut(Schema):
    username: str
    role: RoleName
    customer: str
    email: str
    active: bool
    last_login: datetime | None


class AccountPage(Schema):
    items: list[AccountDetailOut]
    count: int


class AccountUpdateIn(InputSchema):
    """Any of the three; a field left out keeps its value. `email` "" clears it."""

    role: RoleName = None
    active: bool = None
    email: str = Field(None, max_length=254)


class PasswordSetIn(InputSchema):
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class OwnPasswordIn(InputSchema):
    current_password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class TokenIn(InputSchema):
    username: str = Field(max_length=USERNAME_MAX_LENGTH)
    password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    expires_in_days: int = Field(
        None,
        ge=1,
        le=MAX_TOKEN_DAYS,
        description="The token stops working after this many days; never if omitted.",
    )


class TokenOut(Schema):
    token: str
