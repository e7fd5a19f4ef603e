"""Sales records and deduction records (SPEC 7), each with its filters and a streamed CSV export."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from daypass.billing import selectors as billing_selectors
from daypass.billing.filters import DeductionFilterSet
from daypass.billing.schemas import DEDUCTION_FIELDS
from daypass.core.csv_export import csv_response
from daypass.core.limits import CSV_CHUNK
from daypass.core.tenancy import in_subtree_of
from daypass.customers.models import Customer
from daypass.customers.selectors import customer_choices
from daypass.licenses.batch_records import batch_rows, transfer_batches
from daypass.licenses.filters import TransferFilterSet
from daypass.licenses.selectors import license_type_codes, transfer_list
from daypass.web.selection import selected_customer, subtree_selected
from daypass.web.status_labels import METHOD_LABELS, RESULT_LABELS
from daypass.web.views.page import console_view, paginate, render_page, valid_filters


def _batch_of(request: HttpRequest) -> uuid.UUID | None:
    """`batch=<id>`: one operation's transfers (an id that is not one shows nothing)."""
    value = request.GET.get("batch", "").strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)


def counterpart_choices(request: HttpRequest, customer: Customer) -> list[tuple[str, str]]:
    """Whom the selected customer traded with: its parent (its supplier) and every customer of
    the account's subtree but itself, in tree order."""
    choices = []
    own = request.user.customer
    parent = customer.parent
    # The parent is the account's own supplier (an ancestor) or a customer of its subtree.
    if parent is not None and (in_subtree_of(own, parent) or in_subtree_of(parent, own)):
        choices.append(
            (customer.parent.number, f"{customer.parent.name} ({customer.parent.number})")
        )
    for other in customer_choices(request.user):
        if other.pk == customer.pk or (customer.parent and other.pk == customer.parent_id):
            continue
        depth = other.depth - own.depth
        choices.append((other.number, "\u00a0\u00a0" * depth + f"{other.name} ({other.number})"))
    return choices


def _iso(value) -> str:
    return value.isoformat() if value else ""


def _customer_number(customer: Customer | None) -> str:
    return customer.number if customer else ""


@console_view
def transfer_records(request: HttpRequest) -> HttpResponse:
    customer = selected_customer(request)
    filters, filter_form = valid_filters(request, TransferFilterSet)
    subtree = subtree_selected(request)
    counterparts = counterpart_choices(request, customer)
    counterpart = request.GET.get("counterpart", "").strip()
    if counterpart not in {number for number, _label in counterparts}:
        counterpart = ""
    transfers = transfer_list(
        request.user, customer, filters, subtree=subtree, counterpart=counterpart or None
    )
    # A rejected filter (a date out of range) answers the page with its error, not a file.
    if request.GET.get("format") == "csv" and filter_form["filter_status"] == 200:
        rows = (
            [
                _iso(t.at),
                t.license.card,
                t.type.code,
                _customer_number(t.from_customer),
                _customer_number(t.to_customer),
                t.method,
                str(t.batch),
                t.account_username,
            ]
            for t in transfers.iterator(chunk_size=CSV_CHUNK)
        )
        header = ["at", "card", "type", "from", "to", "method", "batch", "account"]
        return csv_response(f"sales-records-{customer.number}.csv", header, rows)
    # One row per batch by default; `view=licenses` (or one batch, `batch=<id>`) lists each.
    batch = _batch_of(request)
    if batch is not None:
        transfers = transfers.filter(batch=batch)
    by_batch = batch is None and request.GET.get("view") != "licenses"
    page_obj = paginate(request, transfer_batches(transfers) if by_batch else transfers)
    if by_batch:
        page_obj.object_list = batch_rows(page_obj.object_list, transfers)
    return render_page(
        request,
        "web/transfer_list.html",
        {
            "title": _("Sales records"),
            **filter_form,
            "method_choices": list(METHOD_LABELS.items()),
            "license_types": license_type_codes(),
            "page_obj": page_obj,
            "by_batch": by_batch,
            "subtree": subtree,
            "counterparts": counterparts,
            "counterpart": counterpart,
            "batch": batch,
        },
        customer=customer,
        nav="transfers",
        partial="web/partials/_transfer_table.html",
        status=filter_form["filter_status"],
    )


@console_view
def deduction_records(request: HttpRequest) -> HttpResponse:
    customer = selected_customer(request)
    filters, filter_form = valid_filters(request, DeductionFilterSet)
    subtree = subtree_selected(request)
    records = billing_selectors.deduction_records(request.user, customer, filters, subtree=subtree)
    # A rejected filter (a date out of range) answers the page with its error, not a file.
    if request.GET.get("format") == "csv" and filter_form["filter_status"] == 200:
        rows = (
            [
                d.pk,
                _iso(d.at),
                d.device.number,
                d.license.card if d.license else "",
                d.customer.number,
                d.days,
                "" if d.available_days_after is None else d.available_days_after,
                _iso(d.window_start),
                _iso(d.window_end),
                d.trigger,
                d.result,
                d.reason,
            ]
            for d in records.rows.iterator(chunk_size=CSV_CHUNK)
        )
        return csv_response(f"deduction-records-{customer.number}.csv", DEDUCTION_FIELDS, rows)
    page_obj = paginate(request, records, count=records.count)
    return render_page(
        request,
        "web/deduction_list.html",
        {
            "title": _("Deduction records"),
            "subtree": subtree,
            **filter_form,
            "result_choices": list(RESULT_LABELS.items()),
            "page_obj": page_obj,
        },
        customer=customer,
        nav="deductions",
        partial="web/partials/_deduction_table.html",
        status=filter_form["filter_status"],
    )
