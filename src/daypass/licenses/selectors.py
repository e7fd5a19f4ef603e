"""Reads on licenses, statistics and sales records (acting account first, 404 outside).

`customer` selects whose data is shown: a `Customer`, a customer number, or None for the
actor's own customer; anything outside the actor's subtree raises `NotFound`. Licenses and
statistics are those the selected customer owns itself; transfers those it took part in.
With `subtree=True` (SPEC 13) they are those of the selected customer and its whole subtree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from daypass.core.filters import apply_filters
from daypass.core.limits import RUNNING_LOW_DAYS, RUNNING_VERY_LOW_DAYS
from daypass.core.tenancy import (
    customer_in_scope,
    named_in_order,
    named_one,
    owned_within,
    subtree_customers,
)
from daypass.customers.models import Account, Customer
from daypass.devices.models import Device, DeviceModel
from daypass.licenses.filters import LicenseFilterSet, TransferFilterSet
from daypass.licenses.models import License, LicenseStatus, LicenseType, Transfer
from daypass.licenses.permissions import can_operate_license
from daypass.licenses.status import (
    is_bindable,
    is_lockable,
    is_unbindable,
    is_unlockable,
    status_expression,
)

Filters = Mapping[str, Any] | None


def licenses_with_status() -> QuerySet[License]:
    return (
        License.objects.annotate(status=status_expression())
        .select_related("type", "device", "customer")
        .prefetch_related(
            Prefetch("type__device_models", queryset=DeviceModel.objects.order_by("code"))
        )
    )


def license_get(actor: Account, card: str) -> License:
    """One license by card number, annotated with `status`, if the actor can see it."""
    return named_one(licenses_with_status(), field="card", value=card, noun="License", actor=actor)


def licenses_by_card(
    actor: Account, cards: Sequence[str], *, queryset: QuerySet[License] | None = None
) -> list[License]:
    """The licenses named by card, in request order, each inside the actor's subtree (and in
    `queryset` if given); else `NotFound` naming the first, in request order, that is not."""
    base = queryset if queryset is not None else License.objects.select_related("customer")
    return named_in_order(base, field="card", values=cards, noun="License", actor=actor)


def license_type_by_code(code: str) -> LicenseType:
    """A license type named in a request (the catalogue is shared by every customer)."""
    return named_one(LicenseType.objects.all(), field="code", value=code, noun="License type")


def license_types() -> QuerySet[LicenseType]:
    """The catalogue of license types, by code, with their device models."""
    return LicenseType.objects.prefetch_related("device_models").order_by("code")


def license_type_ids_fitting(model_id: int) -> list[int]:
    """The license types whose range holds the device model `model_id`, by code."""
    return list(
        LicenseType.objects.filter(device_models=model_id)
        .order_by("code")
        .values_list("pk", flat=True)
    )


def license_type_codes() -> list[str]:
    """Every license code, in order (a filter's choices)."""
    return list(LicenseType.objects.order_by("code").values_list("code", flat=True))


def license_list(
    actor: Account,
    customer: Customer | str | None,
    filters: Filters = None,
    *,
    subtree: bool = False,
) -> QuerySet[License]:
    """The selected customer's own licenses (with `subtree`: its subtree's), filtered, ordered
    by card unless `order` says."""
    selected = customer_in_scope(actor, customer)
    base = licenses_with_status().filter(owned_within(selected, subtree=subtree)).order_by("card")
    return apply_filters(LicenseFilterSet, filters, base)


def license_stats(
    actor: Account, customer: Customer | str | None, *, subtree: bool = False
) -> dict[str, Any]:
    """Counts for the License Management page (SPEC section 6), from one aggregate query.

    With `subtree`, the counts cover the whole subtree and `by_customer` is added (SPEC 13).
    """
    return license_overview(actor, customer, subtree=subtree)["stats"]


def licenses_among(licenses: QuerySet[License], cards: Iterable[str]) -> QuerySet[License]:
    """`licenses` (a `license_list`) narrowed to `cards`, e.g. a Batch Select's choice."""
    return licenses.filter(card__in=list(cards))


def license_actions(actor: Account, license: License) -> dict[str, bool]:
    """The row actions a list offers for `license`: allowed for the account and possible in the
    license's state (`licenses.status` predicates)."""
    return {
        "lock": is_lockable(license) and can_operate_license(actor, license, "lock"),
        "unlock": is_unlockable(license) and can_operate_license(actor, license, "unlock"),
        "bind": is_bindable(license) and can_operate_license(actor, license, "bind"),
        "unbind": is_unbindable(license) and can_operate_license(actor, license, "unbind"),
    }


def license_rows(
    actor: Account, licenses: Iterable[License]
) -> list[tuple[License, dict[str, bool]]]:
    """The rows of a license list page: each license with `license_actions`."""
    return [(lic, license_actions(actor, lic)) for lic in licenses]


def license_summary(
    actor: Account,
    customer: Customer | str | None,
    type_code: str | None = None,
    *,
    subtree: bool = False,
) -> list[dict[str, Any]]:
    """Per license type the selected customer owns: counts by status (one aggregate query)."""
    return license_overview(actor, customer, type_code=type_code, subtree=subtree)["summary"]


def transfer_counterpart(actor: Account, selected: Customer, number: str) -> Customer:
    """The counterpart of a records filter: a customer of the actor's subtree, or the selected
    customer's parent (its supplier, whom a dealer sees in its own records); else 404."""
    parent = selected.parent
    if parent is not None and parent.number == number:
        return parent
    return customer_in_scope(actor, number)


def transfer_list(
    actor: Account,
    customer: Customer | str | None,
    filters: Filters = None,
    *,
    subtree: bool = False,
    counterpart: str | None = None,
) -> QuerySet[Transfer]:
    """Sales records in which the selected customer (with `subtree`: any customer of its
    subtree) is the sender or the receiver, newest first.

    With `counterpart` (a customer number): only the transfers between those and that customer.
    """
    selected = customer_in_scope(actor, customer)
    sent = owned_within(selected, subtree=subtree, field="from_customer", nullable=True)
    received = owned_within(selected, subtree=subtree, field="to_customer")
    if counterpart:
        other = transfer_counterpart(actor, selected, counterpart)
        scope = (sent & Q(to_customer=other)) | (received & Q(from_customer=other))
    else:
        scope = sent | received
    base = (
        Transfer.objects.filter(scope)
        .select_related("license", "type", "from_customer", "to_customer")
        .order_by("-at", "-id")
    )
    return apply_filters(TransferFilterSet, filters, base)


def _status_counts() -> dict[str, Count]:
    """One filtered count per status (`status_expression()`'s rules, in its order: a status's
    condition and none of the earlier ones), for a GROUP BY that leaves the status out.

    Grouping by the status CASE made PostgreSQL estimate a group per (owner, type, status) it
    cannot see, sort a million rows to disk and take 2 to 3 s (bench/pages.py); grouped by
    (owner, type) only, it hashes a few thousand groups in one pass.
    """
    expression = status_expression()
    counts = {}
    earlier = Q()
    for case in expression.cases:
        counts[case.result.value] = Count("pk", filter=Q(case.condition) & ~earlier)
        earlier |= Q(case.condition)
    counts[expression.default.value] = Count("pk", filter=~earlier)
    return counts


def license_overview(
    actor: Account,
    customer: Customer | str | None,
    type_code: str | None = None,
    *,
    subtree: bool = False,
) -> dict[str, Any]:
    """The License Management page in one pass: `{"stats": …, "summary": …}`.

    `stats` is what `license_stats` returns and `summary` what `license_summary` returns (with
    `type_code`), but from a single GROUP BY license type carrying the counts per status and
    the running-low counts as filtered aggregates, so a customer owning a million licenses is
    read once, not four times (see bench/pages.py).

    With `subtree` the same pass groups by owner too, and `stats["by_customer"]` rolls the
    owners up into one row for the selected customer's own licenses and one per child covering
    that child's whole subtree (`customer_rollup`).
    """
    selected = customer_in_scope(actor, customer)
    low = Q(available_days__gt=0)
    keys = ("customer_id", "type_id") if subtree else ("type_id",)
    rows = list(
        License.objects.filter(owned_within(selected, subtree=subtree))
        .values(*keys)
        .annotate(
            **_status_counts(),
            below_30=Count("pk", filter=low & Q(available_days__lt=RUNNING_LOW_DAYS)),
            below_7=Count("pk", filter=low & Q(available_days__lt=RUNNING_VERY_LOW_DAYS)),
        )
        .order_by()
    )
    by_status = {status.value: 0 for status in LicenseStatus}
    per_type: dict[int, dict[str, int]] = {}
    below_30 = below_7 = 0
    for row in rows:
        counts = per_type.setdefault(row["type_id"], {s.value: 0 for s in LicenseStatus})
        for status in LicenseStatus:
            counts[status.value] += row[status.value]
            by_status[status.value] += row[status.value]
        below_30 += row["below_30"]
        below_7 += row["below_7"]
    types = LicenseType.objects.filter(pk__in=per_type).prefetch_related(
        Prefetch("device_models", queryset=DeviceModel.objects.order_by("code"))
    )
    summary = []
    by_type = {}
    for license_type in types.order_by("code"):
        counts = per_type[license_type.pk]
        total = sum(counts.values())
        by_type[license_type.code] = total
        if type_code and license_type.code != type_code:
            continue
        summary.append(
            {
                "type": license_type.code,
                "name": license_type.name,
                "days": license_type.days,
                "models": [m.code for m in license_type.device_models.all()],
                **counts,
                "total": total,
            }
        )
    stats = {
        "total": sum(by_type.values()),
        # The field names are SPEC's; the thresholds are core.limits'.
        "below_30_days": below_30,
        "below_7_days": below_7,
        "by_type": by_type,
        "by_status": by_status,
    }
    if subtree:
        stats["by_customer"] = customer_rollup(selected, rows)
    return {"stats": stats, "summary": summary}


def _rollup_row(customer: Customer) -> dict[str, Any]:
    return {
        "customer": customer.number,
        "name": customer.name,
        "total": 0,
        "below_30_days": 0,
        "below_7_days": 0,
        "by_status": {status.value: 0 for status in LicenseStatus},
        "devices": 0,
        "blacklisted_devices": 0,
    }


def customer_rollup(selected: Customer, license_rows: list[dict[str, Any]]) -> list[dict]:
    """One row for `selected`'s own licenses and devices, then one per child (tree order)
    covering the child's whole subtree: licenses by status, running low, devices, blacklisted.

    `license_rows` are the (customer_id, type_id) groups of `license_overview`, a count per
    status in each; the devices
    are counted here in one more GROUP BY over the subtree's customers.
    """
    members = list(
        subtree_customers(selected).only("pk", "path", "number", "name").order_by("path")
    )
    own = _rollup_row(selected)
    child_row: dict[str, dict[str, Any]] = {}  # child path → its row
    group_of: dict[int, dict[str, Any]] = {selected.pk: own}
    depth = len(selected.path)
    for member in members:
        if member.pk == selected.pk:
            continue
        child_path = member.path[: member.path.index("/", depth) + 1]
        if child_path not in child_row:
            child_row[child_path] = _rollup_row(member)
        group_of[member.pk] = child_row[child_path]
    for row in license_rows:
        target = group_of[row["customer_id"]]
        for status in LicenseStatus:
            target["total"] += row[status.value]
            target["by_status"][status.value] += row[status.value]
        target["below_30_days"] += row["below_30"]
        target["below_7_days"] += row["below_7"]
    devices = (
        Device.objects.filter(owned_within(selected, subtree=True))
        .values("customer_id")
        .annotate(n=Count("pk"), blacklisted=Count("pk", filter=Q(blacklisted=True)))
        .order_by()
    )
    for row in devices:
        target = group_of[row["customer_id"]]
        target["devices"] += row["n"]
        target["blacklisted_devices"] += row["blacklisted"]
    return [own, *child_row.values()]
