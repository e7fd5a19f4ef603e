"""The customer's SPEC shape (section 9), shared by the API and the event snapshots.

Below the services and the API, so `events.snapshots` (which the services import) can build
snapshots in the API's shape without importing an API module.
"""

from __future__ import annotations

from daypass.customers.models import Customer


def customer_out(customer: Customer, parent_number: str | None = None) -> dict:
    """The SPEC shape. `parent_number` spares a query when the caller already knows it."""
    if parent_number is None and customer.parent_id is not None:
        parent_number = customer.parent.number
    return {
        "number": customer.number,
        "name": customer.name,
        "parent": parent_number,
        "depth": customer.depth,
        "allow_superior_manage_licenses": customer.allow_superior_manage_licenses,
        "allow_auto_renew": customer.allow_auto_renew,
    }
