"""Schemas every API router shares: the error envelope and list paging."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict

from daypass.core.limits import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE

# SPEC 9: JSON types are strict. A request body never turns "5" into 5, true into 1, or 0 and
# "true" into booleans: each is a 422. (Strings are never made from numbers either.)
STRICT = ConfigDict(strict=True)

DATE_HELP = "A calendar date YYYY-MM-DD (inclusive, UTC) or a full ISO 8601 instant."


class RowErrorOut(Schema):
    row: int
    code: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    rows: list[RowErrorOut] | None = Field(
        None, description="A batch checked whole (device import): one entry per bad row, from 1."
    )


class ErrorOut(Schema):
    error: ErrorBody


class InputSchema(Schema):
    """Every request body's schema (and the schemas nested in one) derives from this.

    Strict validation: JSON numbers, booleans and strings are taken only as themselves. A body
    field that must accept a string for a richer type (a datetime, a UUID) says so with
    `Annotated[datetime, pydantic.Strict(False)]`. `tests/api/test_strict_types.py` checks that
    every operation's body is strict.
    """

    model_config = STRICT


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Items per page, at most {MAX_PAGE_SIZE}.",
    )


def _query_boolean(value: Any) -> Any:
    """Only `true`/`false` in a query string (SPEC 9): `1`, `yes` or `on` are not coerced."""
    if isinstance(value, str):
        if value not in ("true", "false"):
            raise ValueError("must be true or false")
        return value == "true"
    return value


QueryBool = Annotated[bool, BeforeValidator(_query_boolean)]


class SubtreeQuery(Schema):
    subtree: QueryBool = Field(
        False, description="true: the selected customer and its whole subtree (SPEC 13)."
    )
