"""Issuing licenses: new cards for the platform, or straight to a customer (a sale)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction

from daypass.core.audit import audit_record
from daypass.core.errors import ValidationFailed
from daypass.core.limits import MAX_QUANTITY
from daypass.core.tenancy import require_customer_visible, require_platform_admin
from daypass.customers.models import Account, Customer
from daypass.licenses import bulk
from daypass.licenses.bulk import CARD_DIGITS, CARD_PREFIX
from daypass.licenses.models import License, LicenseType, TransferMethod
from daypass.licenses.services.common import require_int


def _next_card_sequence() -> int:
    """The sequence number after the highest issued card (call with the issue lock held)."""
    highest = (
        License.objects.filter(
            card__gte=CARD_PREFIX + "0" * CARD_DIGITS,
            card__lte=CARD_PREFIX + "9" * CARD_DIGITS,
            card__regex=rf"^{CARD_PREFIX}[0-9]{{{CARD_DIGITS}}}$",
        )
        .order_by("-card")
        .values_list("card", flat=True)
        .first()
    )
    return int(highest[len(CARD_PREFIX) :]) + 1 if highest else 1


@transaction.atomic
def licenses_issue(
    *,
    actor: Account,
    license_type: LicenseType,
    quantity: int,
    customer: Customer | None = None,
    now: datetime,
) -> bulk.LicenseSequence:
    """Create `quantity` licenses for the platform, or for `customer` (recorded as a sale).

    Cards are `DP` + a 10-digit sequence. Issues are serialised by locking the platform row,
    so two concurrent issues never pick the same numbers.
    """
    require_platform_admin(actor, "issue licenses")
    platform = actor.customer
    if customer is not None:
        require_customer_visible(actor, customer)
    require_int(quantity, field="quantity", low=1, high=MAX_QUANTITY)
    Customer.objects.select_for_update().filter(pk=platform.pk).first()
    first = _next_card_sequence()
    if first + quantity - 1 >= 10**CARD_DIGITS:
        raise ValidationFailed(message="The card number space is exhausted.", field="quantity")
    sells = customer is not None and customer.pk != platform.pk
    owner = customer if sells else platform
    # One INSERT … SELECT over a series of numbers (issue 12: no model objects).
    bulk.insert_issued_licenses(
        first=first,
        quantity=quantity,
        type_id=license_type.pk,
        customer_id=owner.pk,
        days=license_type.days,
        now=now,
    )
    cards = [f"{CARD_PREFIX}{number:0{CARD_DIGITS}d}" for number in range(first, first + quantity)]
    ids = bulk.issued_ids(first_card=cards[0], last_card=cards[-1])
    batch = None
    if sells:
        # Created with their final owner; the sale from the platform is recorded all the same.
        batch = uuid.uuid4()
        bulk.move_licenses(
            licenses=[(pk, card, owner.pk) for pk, card in zip(ids, cards, strict=True)],
            to=owner,
            method=TransferMethod.SELL,
            batch=batch,
            actor=actor,
            now=now,
            from_customer=platform,
        )
    audit_record(
        actor=actor,
        action="license.issue",
        now=now,
        target=license_type.code,
        type=license_type.code,
        quantity=quantity,
        customer=(customer or platform).number,
        first_card=cards[0],
        last_card=cards[-1],
        batch=str(batch) if batch else None,
    )
    return bulk.LicenseSequence(cards, ids)
