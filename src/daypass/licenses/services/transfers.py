"""Moving licenses down and up the tree: sell, return, and Batch Select of what may move."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from django.db import transaction
from django.db.models import QuerySet

from daypass.core.audit import audit_record
from daypass.core.errors import DaypassError, ErrorCode, NotFound, ValidationFailed
from daypass.core.limits import MAX_QUANTITY
from daypass.core.tenancy import customer_visible_to, require_customer_visible
from daypass.customers.models import Account, Customer
from daypass.licenses.models import License, LicenseType, TransferMethod
from daypass.licenses.permissions import require_license_operation, require_owner_operation
from daypass.licenses.rows import lock_licenses_in_order, move_licenses_with_transfers
from daypass.licenses.services.common import (
    TransferResult,
    audit_cards,
    distinct_by_pk,
    require_int,
)
from daypass.licenses.status import MOVABLE, require_movable


def _lock_batch(actor: Account, licenses: Iterable[License]) -> list[License]:
    """Lock the licenses; the first, in request order, that is gone or outside the actor's
    subtree is `not_found`. Returned in card order, the order of every later check."""
    given = distinct_by_pk(licenses)
    if not given:
        raise ValidationFailed(message="Name at least one license.", field="cards")
    locked = lock_licenses_in_order(lic.pk for lic in given)
    by_pk = {lic.pk: lic for lic in locked}
    for lic in given:
        fresh = by_pk.get(lic.pk)
        if fresh is None or not customer_visible_to(actor, fresh.customer):
            raise NotFound(message=f"License {lic.card} not found.")
    return sorted(locked, key=lambda lic: lic.card)


@transaction.atomic
def licenses_sell(
    *, actor: Account, licenses: list[License], to: Customer, now: datetime
) -> TransferResult:
    """Move the licenses to `to`, a child of their owner: all of them or none."""
    locked = _lock_batch(actor, licenses)
    for lic in locked:
        require_license_operation(actor, lic, "sell")
    require_customer_visible(actor, to)
    for lic in locked:
        if to.parent_id != lic.customer_id:
            raise DaypassError(
                ErrorCode.NOT_A_CHILD,
                f"{to.number} is not a child of {lic.customer.number}, the owner of {lic.card}.",
            )
    for lic in locked:
        require_movable(lic)
    batch = uuid.uuid4()
    move_licenses_with_transfers(
        licenses=locked, to_of=to, method=TransferMethod.SELL, batch=batch, actor=actor, now=now
    )
    audit_record(
        actor=actor,
        action="license.sell",
        now=now,
        target=str(batch),
        to=to.number,
        **audit_cards(locked),
    )
    return TransferResult(batch=batch, licenses=locked)


@transaction.atomic
def licenses_return(*, actor: Account, licenses: list[License], now: datetime) -> TransferResult:
    """Move each license to its owner's parent: all of them or none."""
    locked = _lock_batch(actor, licenses)
    for lic in locked:
        require_license_operation(actor, lic, "return")
    for lic in locked:
        if lic.customer.parent_id is None:
            raise DaypassError(
                ErrorCode.NO_SUPERIOR,
                f"{lic.customer.number} has no superior to return {lic.card} to.",
            )
    for lic in locked:
        require_movable(lic)
    parents = {
        c.pk: c for c in Customer.objects.filter(pk__in={lic.customer.parent_id for lic in locked})
    }
    batch = uuid.uuid4()
    targets = {lic.pk: parents[lic.customer.parent_id] for lic in locked}
    move_licenses_with_transfers(
        licenses=locked,
        to_of=targets,
        method=TransferMethod.RETURN,
        batch=batch,
        actor=actor,
        now=now,
    )
    audit_record(
        actor=actor,
        action="license.return",
        now=now,
        target=str(batch),
        to=sorted({c.number for c in targets.values()}),
        **audit_cards(locked),
    )
    return TransferResult(batch=batch, licenses=locked)


def licenses_batch_select(
    *,
    actor: Account,
    customer: Customer,
    quantity: int,
    purpose: Literal["sell", "return"],
    license_type: LicenseType | None = None,
    queryset: QuerySet[License] | None = None,
) -> list[License]:
    """Pick `quantity` licenses of `customer` that may be sold/returned, oldest card first.

    `queryset` narrows the choice (the list's current filters). Fewer eligible than asked:
    `insufficient_quantity`. Nothing is locked here; the sell/return re-checks every license.
    """
    if purpose not in ("sell", "return"):
        raise ValidationFailed(message="purpose must be sell or return.", field="purpose")
    require_owner_operation(actor, customer, purpose)
    require_int(quantity, field="quantity", low=1, high=MAX_QUANTITY)
    if purpose == "return" and customer.parent_id is None:
        raise DaypassError(
            ErrorCode.NO_SUPERIOR, f"{customer.number} has no superior to return to."
        )
    base = queryset if queryset is not None else License.objects.all()
    eligible = base.filter(MOVABLE, customer=customer)
    if license_type is not None:
        eligible = eligible.filter(type=license_type)
    chosen = list(eligible.select_related("customer", "type").order_by("card")[:quantity])
    if len(chosen) < quantity:
        raise DaypassError(
            ErrorCode.INSUFFICIENT_QUANTITY,
            f"Only {len(chosen)} licenses can be chosen, {quantity} were asked for.",
        )
    return chosen
