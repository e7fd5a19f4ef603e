"""Row and batch actions on licenses: lock, unlock, bind, unbind, sell, return.

Each POST comes from a <dialog> that already asked "are you sure" (it sends `confirmed=1`).
Without JavaScript the same button posts without it, and the view answers with a confirmation
page saying what will happen; confirming there posts again with `confirmed=1`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from daypass.core import clock
from daypass.core.errors import NotFound
from daypass.customers.models import Customer
from daypass.customers.selectors import customer_children
from daypass.devices.selectors import device_get
from daypass.licenses import services
from daypass.licenses.models import License
from daypass.licenses.selectors import license_get, license_list, licenses_by_card
from daypass.licenses.services.batches import licenses_top_up_many
from daypass.web.selection import selected_customer
from daypass.web.views.page import console_view, render_page, run_action, safe_next


def _back(request: HttpRequest, customer: Customer) -> str:
    """The list the action came from, without its Batch Select: after selling the chosen
    licenses, coming back must not silently check the next ones."""
    target = safe_next(request, reverse("web:licenses") + f"?customer={customer.number}")
    path, _, query = target.partition("?")
    params = QueryDict(query, mutable=True)
    for key in ("batch", "batch_quantity"):
        params.pop(key, None)
    return f"{path}?{params.urlencode()}" if params else path


def _confirm_page(
    request: HttpRequest, *, customer: Customer, title: str, question: str, **context
) -> HttpResponse:
    return render_page(
        request,
        "web/license_confirm.html",
        {"title": title, "question": question, "next": _back(request, customer), **context},
        customer=customer,
        nav="licenses",
    )


@require_POST
@console_view
def license_single_action(request: HttpRequest, card: str, operation: str) -> HttpResponse:
    """Lock, unlock or unbind one license (`operation` comes from the URL)."""
    license = license_get(request.user, card)
    customer = license.customer
    back = _back(request, customer)
    questions = {
        "lock": (
            _("Lock license"),
            _("Lock license %(card)s? A locked license cannot be sold, returned or bound.")
            % {"card": card},
        ),
        "unlock": (_("Unlock license"), _("Unlock license %(card)s?") % {"card": card}),
        "unbind": (
            _("Unbind license"),
            _(
                "Unbind license %(card)s from device %(device)s? The device keeps the usage "
                "time it has already paid for; the license stops being charged."
            )
            % {"card": card, "device": license.device.number if license.device else "-"},
        ),
    }
    # Unlocking takes nothing away, so it needs no confirmation.
    if operation != "unlock" and request.POST.get("confirmed") != "1":
        title, question = questions[operation]
        return _confirm_page(
            request, customer=customer, title=title, question=question, license=license
        )
    service = {
        "lock": services.license_lock,
        "unlock": services.license_unlock,
        "unbind": services.license_unbind,
    }[operation]
    success = {
        "lock": _("License %(card)s is locked."),
        "unlock": _("License %(card)s is unlocked."),
        "unbind": _("License %(card)s is unbound from device %(device)s."),
    }[operation] % {"card": card, "device": license.device.number if license.device else "-"}
    return run_action(
        request,
        lambda: service(actor=request.user, license=license, now=clock.now()),
        success=success,
        next_url=back,
    )


@require_POST
@console_view
def license_bind(request: HttpRequest, card: str) -> HttpResponse:
    license = license_get(request.user, card)
    customer = license.customer
    back = _back(request, customer)
    device_number = request.POST.get("device", "").strip()
    if request.POST.get("confirmed") != "1" or not device_number:
        return _confirm_page(
            request,
            customer=customer,
            title=_("Bind license"),
            question=_("Bind license %(card)s (%(code)s) to a device.")
            % {"card": card, "code": license.type.code},
            license=license,
            ask_device=True,
            device_number=device_number,
            device_error=_("Enter a device number.")
            if request.POST.get("confirmed") == "1"
            else "",
        )
    try:
        device = device_get(request.user, device_number)
    except NotFound:
        return _error_back(
            request, back, _("Device %(number)s not found.") % {"number": device_number}
        )
    return run_action(
        request,
        lambda: services.license_bind(
            actor=request.user, license=license, device=device, now=clock.now()
        ),
        success=lambda bound: bind_success(bound, device_number=device.number, owner=customer),
        next_url=back,
    )


def bind_success(
    license: License, *, device_number: str, owner: Customer, from_list: bool = True
) -> str:
    """Say where the license is now: binding to a sub-customer's device hands it over, so it
    leaves the list it was bound from (`from_list`)."""
    new_owner = license.device.customer if license.device else license.customer
    if new_owner.pk == owner.pk:
        return _("License %(card)s is bound to device %(device)s.") % {
            "card": license.card,
            "device": device_number,
        }
    if from_list:
        message = _(
            "License %(card)s is bound to device %(device)s and now belongs to %(name)s "
            "(%(number)s), the device's owner, so it has left this list."
        )
    else:
        message = _(
            "License %(card)s is bound to device %(device)s and now belongs to %(name)s "
            "(%(number)s), the device's owner."
        )
    return message % {
        "card": license.card,
        "device": device_number,
        "name": new_owner.name,
        "number": new_owner.number,
    }


def _error_back(request: HttpRequest, back: str, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect(back)


@dataclass(frozen=True)
class _Selection:
    """What a batch action (sell, return) starts from: the selected customer, the page to go
    back to, and the checked licenses."""

    customer: Customer
    back: str
    licenses: list[License]


def _selection(request: HttpRequest) -> _Selection:
    """The checked cards, each a license of the selected customer (by card); the first, in
    request order, that is not (missing, elsewhere, outside the account's subtree) is a 404."""
    customer = selected_customer(request)
    cards = request.POST.getlist("cards")
    found = (
        licenses_by_card(request.user, cards, queryset=license_list(request.user, customer, {}))
        if cards
        else []
    )
    return _Selection(
        customer=customer,
        back=_back(request, customer),
        licenses=sorted(found, key=lambda lic: lic.card),
    )


@require_POST
@console_view
def licenses_sell(request: HttpRequest) -> HttpResponse:
    selection = _selection(request)
    customer, back, licenses = selection.customer, selection.back, selection.licenses
    children = list(customer_children(customer))
    if not licenses:
        return _error_back(request, back, _("Select the licenses to sell first."))
    to_number = request.POST.get("to", "")
    if request.POST.get("confirmed") != "1" or not to_number:
        return _confirm_page(
            request,
            customer=customer,
            title=_("Sell licenses"),
            question=ngettext(
                "Sell %(count)d license to the chosen child customer?",
                "Sell %(count)d licenses to the chosen child customer?",
                len(licenses),
            )
            % {"count": len(licenses)},
            cards=[lic.card for lic in licenses],
            children=children,
            ask_child=True,
        )
    target = next((child for child in children if child.number == to_number), None)
    if target is None:
        return _error_back(request, back, _("Choose a child customer to sell to."))

    def sell():
        return services.licenses_sell(
            actor=request.user, licenses=licenses, to=target, now=clock.now()
        )

    return run_action(
        request,
        sell,
        success=lambda result: (
            ngettext(
                "Sold %(count)d license to %(name)s.",
                "Sold %(count)d licenses to %(name)s.",
                len(result.licenses),
            )
            % {"count": len(result.licenses), "name": target.name}
        ),
        next_url=back,
    )


@require_POST
@console_view
def licenses_return(request: HttpRequest) -> HttpResponse:
    selection = _selection(request)
    customer, back, licenses = selection.customer, selection.back, selection.licenses
    if not licenses:
        return _error_back(request, back, _("Select the licenses to return first."))
    parent = customer.parent
    if request.POST.get("confirmed") != "1":
        return _confirm_page(
            request,
            customer=customer,
            title=_("Return licenses"),
            question=ngettext(
                "Return %(count)d license to %(parent)s?",
                "Return %(count)d licenses to %(parent)s?",
                len(licenses),
            )
            % {"count": len(licenses), "parent": parent.name if parent else "-"},
            cards=[lic.card for lic in licenses],
        )
    return run_action(
        request,
        lambda: services.licenses_return(actor=request.user, licenses=licenses, now=clock.now()),
        success=lambda result: (
            ngettext(
                "Returned %(count)d license to %(name)s.",
                "Returned %(count)d licenses to %(name)s.",
                len(result.licenses),
            )
            % {"count": len(result.licenses), "name": parent.name if parent else "-"}
        ),
        next_url=back,
    )


@require_POST
@console_view
def licenses_top_up(request: HttpRequest) -> HttpResponse:
    """Top up the selected licenses (platform admin), all or nothing."""
    selection = _selection(request)
    customer, back, licenses = selection.customer, selection.back, selection.licenses
    if not licenses:
        return _error_back(request, back, _("Select the licenses to top up first."))
    try:
        days = int(request.POST.get("days", ""))
    except ValueError:
        return _error_back(request, back, _("Enter the number of days to add."))
    return run_action(
        request,
        lambda: licenses_top_up_many(
            actor=request.user, licenses=licenses, days=days, now=clock.now()
        ),
        success=lambda topped: (
            ngettext(
                "Added %(days)d days to %(count)d license of %(name)s.",
                "Added %(days)d days to %(count)d licenses of %(name)s.",
                len(licenses),
            )
            % {"days": days, "count": len(licenses), "name": customer.name}
        ),
        next_url=back,
    )
