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
from daypass.licenses.models import License, LicenseType, TransferMethod
from daypass.licenses.rows import BULK_CHUNK, move_licenses_with_transfers
from daypass.licenses.services.common import require_int

# Issued cards are CARD_PREFIX + a zero-padded sequence, so card order is issue order.
CARD_PREFIX = "DP"
CARD_DIGITS = 10


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
) -> list[License]:
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
    owner = platform
    licenses = [
        License(
            card=f"{CARD_PREFIX}{first + i:0{CARD_DIGITS}d}",
            type=license_type,
            customer=owner,
            issued_days=license_type.days,
            total_days=license_type.days,
            available_days=license_type.days,
            created_at=now,
        )
        for i in range(quantity)
    ]
    License.objects.bulk_create(licenses, batch_size=BULK_CHUNK)
    if licenses[0].pk is None:
        # Backends that do not return primary keys from bulk inserts.
        by_card = dict(
            License.objects.filter(
                card__gte=licenses[0].card, card__lte=licenses[-1].card
            ).values_list("card", "pk")
        )
        for lic in licenses:
            lic.pk = by_card[lic.card]
    batch = None
    if customer is not None and customer.pk != platform.pk:
        batch = uuid.uuid4()
        move_licenses_with_transfers(
            licenses=licenses,
            to_of=customer,
            method=TransferMethod.SELL,
            batch=batch,
            actor=actor,
            now=now,
        )
    audit_record(
        actor=actor,
        action="license.issue",
        now=now,
        target=license_type.code,
        type=license_type.code,
        quantity=quantity,
        customer=(customer or platform).number,
        first_card=licenses[0].card,
        last_card=licenses[-1].card,
        batch=str(batch) if batch else None,
    )
    return licenses
