"""What the license services share: input checks, audit details."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from daypass.core.errors import ValidationFailed
from daypass.core.limits import AUDIT_MAX_ITEMS
from daypass.licenses.models import License
from daypass.licenses.rows import TransferResult

__all__ = ["TransferResult", "audit_cards", "distinct_by_pk", "require_int"]


def audit_cards(licenses: Sequence[License]) -> dict:
    return {
        "count": len(licenses),
        "cards": [lic.card for lic in licenses[:AUDIT_MAX_ITEMS]],
    }


def require_int(value: object, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(message=f"{field} must be a whole number.", field=field)
    if not low <= value <= high:
        raise ValidationFailed(message=f"{field} must be between {low} and {high}.", field=field)
    return value


def distinct_by_pk(licenses: Iterable[License]) -> list[License]:
    return list({lic.pk: lic for lic in licenses}.values())
