"""Who may see and change webhook endpoints (SPEC 12.4): one home for the rule.

Endpoints are an admin's: any other role is `forbidden`. An admin sees the endpoints of its own
customer and, read only, of every sub-customer; changes are for the endpoint's own customer's
admin (a superior's change is `forbidden`). Outside the subtree nothing exists (`not_found`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from daypass.core.errors import Forbidden, NotFound
from daypass.core.tenancy import customer_visible_to

if TYPE_CHECKING:
    from daypass.customers.models import Account, Customer


def require_webhook_reader(actor: Account) -> None:
    if not actor.is_admin or actor.customer is None:
        raise Forbidden(message="Only an administrator may use webhooks.")


def require_webhook_writer(actor: Account, customer: Customer) -> None:
    """`actor` may change the endpoints of `customer` (which it can see)."""
    require_webhook_reader(actor)
    if not customer_visible_to(actor, customer):
        raise NotFound(message="Webhook not found.")
    if customer.pk != actor.customer_id:
        raise Forbidden(
            message="A sub-customer's webhooks are read only; its own administrators change them."
        )
