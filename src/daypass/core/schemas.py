"""Schemas every API router shares: the error envelope and list paging."""

from __future__ import annotations

from ninja import Field, Schema

MAX_PAGE_SIZE = 500
# Bounds the row offset to what every database accepts as an integer.
MAX_PAGE = 10_000_000
DEFAULT_PAGE_SIZE = 50


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Items per page, at most {MAX_PAGE_SIZE}.",
    )
