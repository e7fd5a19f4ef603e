"""Who may do what to a license (SPEC section 5).

The rules, checked in this order (the first that fails decides the error):

1. The license must be owned by the actor's customer or one of its sub-customers; otherwise it
   does not exist for the actor (`not_found`). A sibling, or a sub-customer looking at its
   superior's license, gets `not_found`.
2. `issue` and `top_up` belong to the platform administrator alone (`forbidden`).
3. The owner's own `admin` and `operator` may lock, unlock, bind, unbind, sell and return.
   `viewer` and `gateway` may do nothing (`forbidden`).
4. A superior (any ancestor of the owner) may only bind, unbind and return, only with an `admin`
   account (anything else: `forbidden`), and only while the owner's
   `allow_superior_manage_licenses` switch is on (`superior_management_disabled`).
   `move_with_device` (SPEC 3: a device transfer carrying the owner's bound licenses along) is
   managing them too, under the same rule.

Rules 1, 3 and 4 are the tenancy primitives of `daypass.core.tenancy`; this module only says
which operations a superior and the platform may take.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from daypass.core.errors import DaypassError, NotFound
from daypass.core.tenancy import (
    customer_visible_to,
    require_customer_visible,
    require_owner_or_authorized_superior,
    require_platform_admin,
)

if TYPE_CHECKING:
    from daypass.customers.models import Account, Customer
    from daypass.licenses.models import License

Operation = Literal[
    "lock", "unlock", "bind", "unbind", "sell", "return", "top_up", "issue", "move_with_device"
]

OWNER_OPERATIONS = frozenset(
    {"lock", "unlock", "bind", "unbind", "sell", "return", "move_with_device"}
)
SUPERIOR_OPERATIONS = frozenset({"bind", "unbind", "return", "move_with_device"})
PLATFORM_OPERATIONS = frozenset({"top_up", "issue"})
OPERATIONS = OWNER_OPERATIONS | PLATFORM_OPERATIONS


def require_owner_operation(actor: Account, owner: Customer, operation: Operation) -> None:
    """The permission rules for an operation on licenses owned by `owner` (see module doc)."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown license operation {operation!r}")
    require_customer_visible(actor, owner)
    if operation in PLATFORM_OPERATIONS:
        require_platform_admin(actor, operation.replace("_", " ") + " licenses")
        return
    require_owner_or_authorized_superior(
        actor, owner, action=operation, superior_may=operation in SUPERIOR_OPERATIONS
    )


def may_operate(actor: Account, owner: Customer, operation: Operation) -> bool:
    """For the UI: may `actor` do `operation` to licenses `owner` owns (whatever their state)?"""
    try:
        require_owner_operation(actor, owner, operation)
    except DaypassError:
        return False
    return True


def require_license_operation(actor: Account, license: License, operation: Operation) -> None:
    """Raise the error SPEC section 9 names if `actor` may not do `operation` to `license`."""
    if not customer_visible_to(actor, license.customer):
        raise NotFound(message=f"License {license.card} not found.")
    require_owner_operation(actor, license.customer, operation)


def can_operate_license(actor: Account, license: License, operation: Operation) -> bool:
    """For the UI: show an action only if the actor may take it (ignores the license's state)."""
    try:
        require_license_operation(actor, license, operation)
    except DaypassError:
        return False
    return True
