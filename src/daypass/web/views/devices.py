"""Devices of the selected customer: service-until, blacklist, bound licenses, transfer."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from daypass.core import clock
from daypass.customers.selectors import customer_choices, customer_get
from daypass.devices import services
from daypass.devices.filters import DeviceFilterSet
from daypass.devices.selectors import device_list, device_model_codes, devices_by_number
from daypass.web.selection import selected_customer, subtree_selected
from daypass.web.service_projection import projected_service_end
from daypass.web.views.page import (
    console_view,
    paginate,
    render_page,
    run_action,
    safe_next,
    valid_filters,
)


def transfer_targets(request: HttpRequest) -> list:
    """Every customer of the account's subtree, labelled with its place in the tree."""
    own = request.user.customer
    targets = customer_choices(request.user)
    for target in targets:
        depth = target.depth - own.depth
        target.tree_label = (
            "\u00a0\u00a0" * depth + ("└ " if depth else "") + (f"{target.name} ({target.number})")
        )
    return targets


@console_view
def device_records(request: HttpRequest) -> HttpResponse:
    customer = selected_customer(request)
    filters, filter_form = valid_filters(request, DeviceFilterSet)
    subtree = subtree_selected(request)
    devices = device_list(request.user, customer, filters, subtree=subtree)
    page_obj = paginate(request, devices)
    now = clock.now()
    rows = [(device, projected_service_end(device, now=now)) for device in page_obj.object_list]
    can_transfer = request.user.can_operate
    return render_page(
        request,
        "web/device_list.html",
        {
            "title": _("Devices"),
            "subtree": subtree,
            **filter_form,
            "device_models": device_model_codes(),
            "refused_choices": [
                ("1", _("In the last day")),
                ("7", _("In the last 7 days")),
                ("30", _("In the last 30 days")),
            ],
            "page_obj": page_obj,
            "rows": rows,
            "now": now,
            "can_transfer": can_transfer,
            "transfer_targets": transfer_targets(request) if can_transfer else [],
        },
        customer=customer,
        nav="devices",
        partial="web/partials/_device_table.html",
        status=filter_form["filter_status"],
    )


@require_POST
@console_view
def devices_transfer(request: HttpRequest) -> HttpResponse:
    customer = selected_customer(request)
    back = safe_next(request, reverse("web:devices") + f"?customer={customer.number}")
    numbers = list(dict.fromkeys(request.POST.getlist("devices")))
    to_number = request.POST.get("to", "")
    if not numbers:
        messages.error(request, _("Select the devices to transfer first."))
        return redirect(back)
    subtree = request.POST.get("subtree") == "true"
    # The selected customer's own devices (with the subtree: its whole tree's); the first one,
    # in request order, that is not: 404.
    devices = devices_by_number(
        request.user, numbers, queryset=device_list(request.user, customer, {}, subtree=subtree)
    )
    if request.POST.get("confirmed") != "1" or not to_number:
        # Without JavaScript there is no dialog: ask on a page, then post again confirmed.
        return render_page(
            request,
            "web/license_confirm.html",
            {
                "title": _("Transfer devices"),
                "question": ngettext(
                    "Move %(count)d device to the customer below? The licenses bound to it "
                    "move with it.",
                    "Move %(count)d devices to the customer below? The licenses bound to them "
                    "move with them.",
                    len(devices),
                )
                % {"count": len(devices)},
                "next": back,
                "devices": sorted(device.number for device in devices),
                "ask_target": True,
                "transfer_targets": transfer_targets(request),
            },
            customer=customer,
            nav="devices",
        )
    target = customer_get(request.user, to_number)
    moving = [device for device in devices if device.customer_id != target.pk]
    if not moving:
        # A transfer that would move nothing says so instead of reporting a move.
        messages.error(
            request,
            ngettext(
                "The device already belongs to %(name)s: nothing was moved.",
                "The devices already belong to %(name)s: nothing was moved.",
                len(devices),
            )
            % {"name": target.name},
        )
        return redirect(back)
    return run_action(
        request,
        lambda: services.devices_transfer(
            actor=request.user, devices=devices, to=target, now=clock.now()
        ),
        success=ngettext(
            "Moved %(count)d device to %(name)s.",
            "Moved %(count)d devices to %(name)s.",
            len(moving),
        )
        % {"count": len(moving), "name": target.name},
        next_url=back,
    )
