"""Text the databases refuse: a NUL character (PostgreSQL rejects it in every text value).

Any text holding one is a 422 `validation_error` in the API and the console alike (SPEC 9);
`require_text` is the one check, called by the shared filter fields, the lookups by number, the
API's JSON parser and `daypass.core.middleware.RejectNulMiddleware` (paths, query strings, forms).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from daypass.core.errors import ValidationFailed

NUL = "\x00"
NUL_MESSAGE = "Text must not contain NUL characters."


def has_nul(value: Any) -> bool:
    """True if `value` (a string, or any nesting of lists, tuples and dicts) holds a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


def require_text(value: Any, *, field: str | None = None) -> None:
    """Raise `ValidationFailed` if `value` holds a NUL character."""
    if has_nul(value):
        message = f"{field}: {NUL_MESSAGE}" if field else NUL_MESSAGE
        raise ValidationFailed(message=message, field=field)


def require_texts(values: Iterable[Any], *, field: str | None = None) -> None:
    for value in values:
        require_text(value, field=field)
