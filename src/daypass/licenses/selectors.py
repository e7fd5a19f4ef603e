"""Reads on licenses, statistics and sales records (acting account first, 404 outside).

`customer` selects whose data is shown: a `Customer`, a customer number, or None for the
actor's own customer; anything outside the actor's subtree raises `NotFound`. Licenses and
statistics are those the selected customer owns itself; transfers those it took part in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from daypass.core.errors import NotFound
from daypass.core.tenancy import customer_in_scope
from daypass.customers.models import Account, Customer
from daypass.devices.models import DeviceModel
from daypass.licenses.filters import LicenseFilterSet, TransferFilterSet, apply_filters
from daypass.licenses.models import License, LicenseStatus, LicenseType, Transfer
from daypass.licenses.status import status_expression

Filters = Mapping[str, Any] | None


def selected_customer(actor: Account, customer: Customer | str | None) -> Customer:
    """The customer whose data is shown: must be the actor's own or one of its sub-customers."""
    if isinstance(customer, Customer):
        own = actor.customer
        if own is None or not customer.path.startswith(own.path):
            raise NotFound(message=f"Customer {customer.number} not found.")
        return customer
    return customer_in_scope(actor, customer)


def _licenses_with_status() -> QuerySet[License]:
    return (
        License.objects.annotate(status=status_expression())
        .select_related("type", "device", "customer")
        .prefetch_related(
            Prefetch("type__device_models", queryset=DeviceModel.objects.order_by("code"))
        )
    )


def license_get(actor: Account, card: str) -> License:
    """One license by card number, annotated with `status`, if the actor can see it."""
    own = actor.customer
    if own is None:
        raise NotFound(message=f"License {card} not found.")
    try:
        return _licenses_with_status().get(card=card, customer__path__startswith=own.path)
    except License.DoesNotExist:
        raise NotFound(message=f"License {card} not found.") from None


def license_list(
    actor: Account, customer: Customer | str | None, filters: Filters = None
) -> QuerySet[License]:
    """The selected customer's own licenses, filtered, ordered by card unless `order` says."""
    selected = selected_customer(actor, customer)
    base = _licenses_with_status().filter(customer=selected).order_by("card")
    return apply_filters(LicenseFilterSet, filters, base)


def license_stats(actor: Account, customer: Customer | str | None) -> dict[str, Any]:
    """Counts for the License Management page, each computed by the database (GROUP BY)."""
    selected = selected_customer(actor, customer)
    owned = License.objects.filter(customer=selected)
    totals = owned.aggregate(
        total=Count("pk"),
        below_30_days=Count("pk", filter=Q(available_days__gt=0, available_days__lt=30)),
        below_7_days=Count("pk", filter=Q(available_days__gt=0, available_days__lt=7)),
    )
    by_type = dict(
        owned.values("type__code").annotate(n=Count("pk")).values_list("type__code", "n")
    )
    by_status = {status.value: 0 for status in LicenseStatus}
    rows = (
        owned.annotate(status=status_expression())
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
        .order_by()
    )
    by_status.update(dict(rows))
    return {
        "total": totals["total"],
        "below_30_days": totals["below_30_days"],
        "below_7_days": totals["below_7_days"],
        "by_type": dict(sorted(by_type.items())),
        "by_status": by_status,
    }


def license_summary(
    actor: Account, customer: Customer | str | None, type_code: str | None = None
) -> list[dict[str, Any]]:
    """Per license type the selected customer owns: counts by status, in one aggregate query."""
    selected = selected_customer(actor, customer)
    owned = License.objects.filter(customer=selected)
    if type_code:
        owned = owned.filter(type__code=type_code)
    status_counts = {
        status.value: Count("pk", filter=Q(status=status.value)) for status in LicenseStatus
    }
    rows = (
        owned.annotate(status=status_expression())
        .values("type_id")
        .annotate(total=Count("pk"), **status_counts)
        .order_by()
    )
    counts = {row["type_id"]: row for row in rows}
    types = LicenseType.objects.filter(pk__in=counts).prefetch_related(
        Prefetch("device_models", queryset=DeviceModel.objects.order_by("code"))
    )
    return [
        {
            "type": license_type.code,
            "name": license_type.name,
            "days": license_type.days,
            "models": [m.code for m in license_type.device_models.all()],
            **{status.value: counts[license_type.pk][status.value] for status in LicenseStatus},
            "total": counts[license_type.pk]["total"],
        }
        for license_type in types.order_by("code")
    ]


def transfer_list(
    actor: Account, customer: Customer | str | None, filters: Filters = None
) -> QuerySet[Transfer]:
    """Sales records in which the selected customer is the sender or the receiver, newest first."""
    selected = selected_customer(actor, customer)
    base = (
        Transfer.objects.filter(Q(from_customer=selected) | Q(to_customer=selected))
        .select_related("license", "type", "from_customer", "to_customer")
        .order_by("-at", "-id")
    )
    return apply_filters(TransferFilterSet, filters, base)
