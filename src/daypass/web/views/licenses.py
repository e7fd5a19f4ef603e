"""License details: filters updating the table in place, pagination, actions, Batch Select."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from daypass.core.errors import DaypassError
from daypass.core.limits import BATCH_SELECT_MAX
from daypass.core.tenancy import require_owner_or_authorized_superior
from daypass.customers.models import Customer
from daypass.customers.selectors import customer_children
from daypass.licenses.filters import LicenseFilterSet
from daypass.licenses.permissions import may_operate
from daypass.licenses.selectors import (
    license_list,
    license_rows,
    license_type_codes,
    licenses_among,
)
from daypass.licenses.services import licenses_batch_select
from daypass.web.error_messages import error_text
from daypass.web.selection import selected_customer, subtree_selected
from daypass.web.status_labels import STATUS_LABELS
from daypass.web.views.page import (
    PAGE_SIZES,
    console_view,
    page_size_of,
    paginate,
    render_page,
    valid_filters,
)


def superior_notice(request: HttpRequest, customer: Customer) -> str:
    """Why a superior looking at a sub-customer's licenses is offered no actions, if it is not.

    Whether it may is the tenancy rule; this only says why not, in the console's words.
    """
    actor = request.user
    if customer.pk == actor.customer_id:
        return ""
    try:
        require_owner_or_authorized_superior(actor, customer, action="manage")
    except DaypassError:
        if not customer.allow_superior_manage_licenses:
            return _("This customer has not allowed superior management of its licenses.")
        return _("Only an administrator may manage the licenses of a sub-customer.")
    return ""


@console_view
def license_details(request: HttpRequest) -> HttpResponse:
    actor = request.user
    customer = selected_customer(request)
    filters, filter_form = valid_filters(request, LicenseFilterSet)
    subtree = subtree_selected(request)
    licenses = license_list(actor, customer, filters, subtree=subtree)
    # Selling and returning act on the selected customer's own licenses: not with the subtree.
    can_sell = not subtree and may_operate(actor, customer, "sell")
    can_return = (
        not subtree and customer.parent_id is not None and may_operate(actor, customer, "return")
    )

    batch_notice = ""
    selected_cards: set[str] = set()
    batch_error = ""
    batch_quantity = request.GET.get("batch_quantity", "").strip()
    page_obj = None
    if request.GET.get("batch") and (can_sell or can_return):
        try:
            quantity = int(batch_quantity)
            if not 1 <= quantity <= BATCH_SELECT_MAX:
                raise ValueError
        except ValueError:
            batch_error = _("Enter a whole number from 1 to %(max)d.") % {"max": BATCH_SELECT_MAX}
        else:
            try:
                chosen = licenses_batch_select(
                    actor=actor,
                    customer=customer,
                    quantity=quantity,
                    purpose="sell" if can_sell else "return",
                    queryset=licenses,
                )
            except DaypassError as error:
                batch_error = error_text(error)
            else:
                selected_cards = {lic.card for lic in chosen}
                licenses = licenses_among(licenses, selected_cards)
                batch_notice = ngettext(
                    "%(count)d license selected, oldest card number first.",
                    "%(count)d licenses selected, oldest card number first.",
                    len(chosen),
                ) % {"count": len(chosen)}
                page_obj = Paginator(licenses, BATCH_SELECT_MAX).get_page(1)
    if page_obj is None:
        page_obj = paginate(request, licenses)
    rows = license_rows(actor, page_obj.object_list)
    return render_page(
        request,
        "web/license_list.html",
        {
            "title": _("License details"),
            "subtree": subtree,
            **filter_form,
            "status_choices": list(STATUS_LABELS.items()),
            "license_types": license_type_codes(),
            "page_obj": page_obj,
            "rows": rows,
            "page_size": page_size_of(request),
            "page_sizes": PAGE_SIZES,
            "can_sell": can_sell,
            "can_return": can_return,
            # The platform tops up any selected licenses of its subtree (SPEC 13).
            "can_top_up": actor.is_platform_admin,
            "any_selection": can_sell or can_return or actor.is_platform_admin,
            "children": customer_children(customer) if can_sell else [],
            "superior_notice": superior_notice(request, customer),
            "batch_notice": batch_notice,
            "batch_error": batch_error,
            "batch_quantity": batch_quantity,
            "selected_cards": selected_cards,
        },
        customer=customer,
        nav="licenses",
        partial="web/partials/_license_table.html",
        status=filter_form["filter_status"],
    )
