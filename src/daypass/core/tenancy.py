"""Tenancy: who sees what and who may act on whose behalf (SPEC section 5). The one home of it.

An account sees its own customer and every sub-customer (its subtree), nothing else; everything
outside the subtree is reported exactly like something that does not exist (the same
`NotFound`, the same message). Every selector, service, endpoint and page uses these primitives:

- `subtree_customers`, `customer_visible_to`, `visible_to` (a queryset scoped to the subtree);
- `customer_in_scope`: select a customer in the actor's subtree (the `customer` parameter);
- `require_customer_visible`: the same `NotFound` for missing and foreign;
- `require_platform_admin`, `require_admin`;
- `require_owner_or_authorized_superior`: the owner's admin or operator, or an admin of a
  superior while the owner allows superior management (SPEC 5);
- `named_in_order`: every object a request names, or `NotFound` naming the first, in request
  order, that the actor cannot see, whether it exists elsewhere or not (no existence oracle).

`core` imports no app: the customer model is reached through the app registry by its label,
as `core.models` refers to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import BooleanField, Q, QuerySet, Value

from daypass.core.errors import DaypassError, ErrorCode, Forbidden, NotFound
from daypass.core.text import require_text, require_texts

if TYPE_CHECKING:
    from daypass.customers.models import Account, Customer


def _customers() -> QuerySet[Customer]:
    return apps.get_model("customers", "Customer").objects.all()


# --- visibility -----------------------------------------------------------------------------


def subtree_customers(customer: Customer) -> QuerySet[Customer]:
    """The customer and all its sub-customers, in tree order (self first)."""
    return _customers().filter(path__startswith=customer.path).order_by("path")


def in_subtree_of(customer: Customer, root: Customer) -> bool:
    """True if `customer` is `root` or one of its sub-customers."""
    return customer.path.startswith(root.path)


def customer_visible_to(actor: Account, customer: Customer) -> bool:
    own = actor.customer
    return own is not None and in_subtree_of(customer, own)


def require_customer_visible(actor: Account, customer: Customer) -> None:
    if not customer_visible_to(actor, customer):
        raise NotFound(message=f"Customer {customer.number} not found.")


def visible_q(actor: Account, customer_field: str = "customer") -> Q:
    """A condition keeping the rows whose `customer_field` lies in the actor's subtree."""
    own = actor.customer
    if own is None:
        return Q(pk__in=[])
    prefix = f"{customer_field}__" if customer_field else ""
    return Q(**{f"{prefix}path__startswith": own.path})


def visible_to(actor: Account, queryset: QuerySet, customer_field: str = "customer") -> QuerySet:
    """`queryset` narrowed to the rows the actor can see (owned inside its subtree)."""
    return queryset.filter(visible_q(actor, customer_field))


def customer_in_scope(actor: Account, customer: Customer | str | None) -> Customer:
    """The selected customer: the actor's own if None or empty; a `Customer` or a customer
    number if it is in the actor's subtree; else `NotFound`."""
    own = actor.customer
    if own is None:
        raise NotFound(message="No such customer.")
    if customer is None or customer == "":
        return own
    if not isinstance(customer, str):
        require_customer_visible(actor, customer)
        return customer
    require_text(customer, field="customer")
    if customer == own.number:
        return own
    found = visible_to(actor, _customers(), customer_field="").filter(number=customer).first()
    if found is None:
        raise NotFound(message=f"Customer {customer} not found.")
    return found


# --- permission -----------------------------------------------------------------------------


def require_platform_admin(actor: Account, what: str) -> None:
    if not actor.is_platform_admin:
        raise Forbidden(message=f"Only the platform administrator may {what}.")


def require_admin(actor: Account, what: str) -> None:
    if not actor.is_admin:
        raise Forbidden(message=f"Only an administrator may {what}.")


def require_owner_or_authorized_superior(
    actor: Account, owner: Customer, *, action: str, superior_may: bool = True
) -> None:
    """May `actor` do `action` to what `owner` owns? (SPEC section 5; the first failure decides)

    1. `owner` must be in the actor's subtree (`not_found`);
    2. only an `admin` or `operator` acts (`forbidden`);
    3. the owner's own accounts may; a superior (any ancestor) only if `superior_may`
       (`forbidden`), only with an `admin` account (`forbidden`) and only while the owner's
       `allow_superior_manage_licenses` switch is on (`superior_management_disabled`).
    """
    require_customer_visible(actor, owner)
    if not actor.can_operate:
        raise Forbidden(message="Your role may not change licenses.")
    if owner.pk == actor.customer_id:
        return
    if not superior_may:
        raise Forbidden(message=f"Only the owner of a license may {action} it.")
    if not actor.is_admin:
        raise Forbidden(message="Only an administrator may manage the licenses of a sub-customer.")
    if not owner.allow_superior_manage_licenses:
        raise DaypassError(
            ErrorCode.SUPERIOR_MANAGEMENT_DISABLED,
            f"Customer {owner.number} does not allow its superiors to manage its licenses.",
        )


# --- lookups of objects named in a request --------------------------------------------------


def named_in_order(
    queryset: QuerySet,
    *,
    field: str,
    values: Sequence[str],
    noun: str,
    actor: Account | None = None,
    customer_field: str = "customer",
) -> list[Any]:
    """The objects whose `field` is each of `values`, in request order, duplicates dropped.

    With `actor`, only objects inside the actor's subtree count. The first value, in request
    order, with no such object raises `NotFound` ("<noun> <value> not found."), whether it
    exists outside the subtree or not at all; text holding NUL is a `validation_error`.
    """
    unique = list(dict.fromkeys(values))
    require_texts(unique, field=field)
    if actor is not None:
        queryset = visible_to(actor, queryset, customer_field)
    found = {getattr(obj, field): obj for obj in queryset.filter(**{f"{field}__in": unique})}
    for value in unique:
        if value not in found:
            raise NotFound(message=f"{noun} {value} not found.")
    return [found[value] for value in unique]


def named_one(
    queryset: QuerySet,
    *,
    field: str,
    value: str,
    noun: str,
    actor: Account | None = None,
    customer_field: str = "customer",
) -> Any:
    """The one object named `value` (see `named_in_order`)."""
    return named_in_order(
        queryset, field=field, values=[value], noun=noun, actor=actor, customer_field=customer_field
    )[0]


def owned_within(
    customer: Customer, *, subtree: bool, field: str = "customer", nullable: bool = False
) -> Q:
    """Rows whose `field` is `customer` itself, or with `subtree` any customer of its subtree
    (`nullable`: `field` may be empty, and such a row is nobody's).

    The subtree's customer ids are read first (one indexed prefix scan on the materialized
    path) and given to the database as a list: with a sub-query instead, PostgreSQL cannot
    know how many rows a subtree owns and, for a leaf owning a million licenses, walks an
    index row by row (4.2 s instead of 0.8 s for the statistics; bench/api_lists.py).
    """
    if not subtree:
        return Q(**{field: customer})
    members = _customers().filter(path__startswith=customer.path).values_list("pk", flat=True)
    ids = list(members[: SUBTREE_IDS_INLINE_MAX + 1])
    if customer.parent_id is None and len(ids) == _customers().count():
        # The root's subtree holds every customer (customers are never deleted; a customer
        # created since the ids were read makes the counts differ): any owner will do, so no
        # condition at all (`nullable`: the row must have an owner). A thousand ids cost the
        # platform's lists their planning and an index probe per id, and any condition on the
        # owner a table read per skipped row of a deep page (bench/pages.py: counting its 1.1
        # million licenses 560 ms, not ~180 ms; page 5,000's cards 360 ms, not 120 ms).
        return Q(**{f"{field}__isnull": False}) if nullable else EVERY_ROW
    if len(ids) > SUBTREE_IDS_INLINE_MAX:  # beyond what a statement should carry: a sub-query
        return Q(**{f"{field}__in": members})
    return Q(**{f"{field}__in": ids})


# A condition every row meets (`WHERE true`): unlike an empty Q, it stays true when OR-ed with
# another (an empty Q is dropped from `a | Q()`, leaving `a`).
EVERY_ROW = Q(Value(True, output_field=BooleanField()))

# At most this many customer ids go into a statement as literals (SQLite allows 32,766).
SUBTREE_IDS_INLINE_MAX = 10_000
