"""Moving licenses down and up the tree: sell, return, and Batch Select of what may move."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from django.db import transaction
from django.db.models import QuerySet

from daypass.core.audit import audit_record
from daypass.core.errors import DaypassError, ErrorCode, NotFound, ValidationFailed
from daypass.core.limits import MAX_QUANTITY
from daypass.core.tenancy import customer_visible_to, require_customer_visible
from daypass.customers.models import Account, Customer
from daypass.licenses import bulk
from daypass.licenses.models import License, LicenseType, TransferMethod
from daypass.licenses.permissions import require_owner_operation
from daypass.licenses.services.common import TransferResult, audit_cards, require_int
from daypass.licenses.status import MOVABLE, require_movable


def _lock_batch(
    actor: Account, licenses: Sequence[License], operation: Literal["sell", "return"]
) -> tuple[list[bulk.LicenseRow], dict[int, Customer]]:
    """Lock the licenses (by id) and read them as plain rows (issue 12: a batch of 100,000 is
    never 100,000 model objects). The first, in request order, that is gone or outside the
    actor's subtree is `not_found`; then the permission of each owner, in card order. Returns
    the rows in card order (the order of every later check) and their owners by id."""
    refs = bulk.license_refs(licenses)
    if not refs:
        raise ValidationFailed(message="Name at least one license.", field="cards")
    ids = [pk for pk, _card in refs]
    rows = bulk.license_rows(ids, lock=True)
    owner_of = {row.id: row.customer_id for row in rows}
    owners = Customer.objects.in_bulk(set(owner_of.values()))
    # Visibility is the owner's: decided once per owner, not once per license.
    hidden = {pk for pk, owner in owners.items() if not customer_visible_to(actor, owner)}
    if len(owner_of) < len(ids) or hidden:
        for pk, card in refs:
            if pk not in owner_of or owner_of[pk] in hidden:
                raise NotFound(message=f"License {card} not found.")
    checked: set[int] = set()
    for row in rows:
        if row.customer_id not in checked:
            require_owner_operation(actor, owners[row.customer_id], operation)
            checked.add(row.customer_id)
    return rows, owners


def _result(batch: uuid.UUID, rows: list[bulk.LicenseRow]) -> TransferResult:
    return TransferResult(
        batch=batch,
        licenses=bulk.LicenseSequence([row.card for row in rows], [row.id for row in rows]),
    )


@transaction.atomic
def licenses_sell(
    *, actor: Account, licenses: Sequence[License], to: Customer, now: datetime
) -> TransferResult:
    """Move the licenses to `to`, a child of their owner: all of them or none."""
    rows, owners = _lock_batch(actor, licenses, "sell")
    require_customer_visible(actor, to)
    # Rules that depend on the owner are decided per owner; the error names the first license
    # (card order) of an owner that fails, as a check of every row would.
    strangers = {pk for pk in owners if pk != to.parent_id}
    for row in rows if strangers else ():
        if row.customer_id in strangers:
            raise DaypassError(
                ErrorCode.NOT_A_CHILD,
                f"{to.number} is not a child of {owners[row.customer_id].number}, "
                f"the owner of {row.card}.",
            )
    for row in rows:
        require_movable(row)
    batch = uuid.uuid4()
    bulk.move_licenses(
        licenses=rows,
        to=to,
        method=TransferMethod.SELL,
        batch=batch,
        actor=actor,
        now=now,
    )
    audit_record(
        actor=actor,
        action="license.sell",
        now=now,
        target=str(batch),
        to=to.number,
        **audit_cards(rows),
    )
    return _result(batch, rows)


@transaction.atomic
def licenses_return(
    *, actor: Account, licenses: Sequence[License], now: datetime
) -> TransferResult:
    """Move each license to its owner's parent: all of them or none."""
    rows, owners = _lock_batch(actor, licenses, "return")
    tops = {pk for pk, owner in owners.items() if owner.parent_id is None}
    for row in rows if tops else ():
        if row.customer_id in tops:
            owner = owners[row.customer_id]
            raise DaypassError(
                ErrorCode.NO_SUPERIOR, f"{owner.number} has no superior to return {row.card} to."
            )
    for row in rows:
        require_movable(row)
    parents = Customer.objects.in_bulk({owner.parent_id for owner in owners.values()})
    batch = uuid.uuid4()
    bulk.move_licenses(
        licenses=rows,
        to=None,  # each to its owner's parent
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
        to=sorted({parents[owner.parent_id].number for owner in owners.values()}),
        **audit_cards(rows),
    )
    return _result(batch, rows)


def licenses_batch_select(
    *,
    actor: Account,
    customer: Customer,
    quantity: int,
    purpose: Literal["sell", "return"],
    license_type: LicenseType | None = None,
    queryset: QuerySet[License] | None = None,
) -> bulk.LicenseSequence:
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
    # Ids and cards only: the sell or return that follows reads what it needs (issue 12).
    chosen = list(eligible.order_by("card").values_list("pk", "card")[:quantity])
    if len(chosen) < quantity:
        raise DaypassError(
            ErrorCode.INSUFFICIENT_QUANTITY,
            f"Only {len(chosen)} licenses can be chosen, {quantity} were asked for.",
        )
    return bulk.LicenseSequence([card for _pk, card in chosen], [pk for pk, _card in chosen])
