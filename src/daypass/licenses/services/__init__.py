"""Writes on licenses (SPEC section 3), one module per kind of operation.

- `types`: `license_type_create`;
- `issue`: `licenses_issue`;
- `single`: `license_top_up`, `license_lock`, `license_unlock`, `license_bind`, `license_unbind`;
- `transfers`: `licenses_sell`, `licenses_return`, `licenses_batch_select`.

Every service is one transaction and writes one audit event. Rows are locked with
`select_for_update` in a fixed order (devices before licenses, each by primary key) and every
precondition is checked on the locked rows, so two concurrent operations cannot both pass.

When several preconditions fail, the first in this order decides the error:

1. visibility: the license (and device, customer) outside the actor's subtree → `not_found`;
2. permission: role and superior rules of `licenses.permissions` → `forbidden`,
   `superior_management_disabled`;
3. input values (quantity, days, an empty list) → `validation_error`;
4. the target: `not_a_child` / `no_superior`, `device_not_in_subtree`;
5. the state of each license, in card order (`licenses.status` predicates): `license_locked`,
   `license_expired`, `license_bound` / `license_not_bound` / `license_not_unused` /
   `license_not_locked`;
6. for bind, last: `model_mismatch`.
"""

from daypass.licenses.rows import TransferResult
from daypass.licenses.services.issue import CARD_DIGITS, CARD_PREFIX, licenses_issue
from daypass.licenses.services.single import (
    license_bind,
    license_lock,
    license_top_up,
    license_unbind,
    license_unlock,
)
from daypass.licenses.services.transfers import (
    licenses_batch_select,
    licenses_return,
    licenses_sell,
)
from daypass.licenses.services.types import license_type_create

__all__ = [
    "CARD_DIGITS",
    "CARD_PREFIX",
    "TransferResult",
    "license_bind",
    "license_lock",
    "license_top_up",
    "license_type_create",
    "license_unbind",
    "license_unlock",
    "licenses_batch_select",
    "licenses_issue",
    "licenses_return",
    "licenses_sell",
]
