"""One device (SPEC 13): its licenses, deductions, refusals and transfers; bind a license that
fits it from a picker; unbind; and, for the platform, clear its blacklist by hand."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daypass.core import clock
from daypass.core.errors import NotFound
from daypass.devices.page import device_page, licenses_fitting_device
from daypass.devices.selectors import device_get
from daypass.licenses import services
from daypass.licenses.permissions import can_operate_license
from daypass.licenses.selectors import license_get
from daypass.licenses.status import license_status
from daypass.web.forms import ClearBlacklistForm
from daypass.web.service_projection import projected_service_end
from daypass.web.views.license_actions import bind_success
from daypass.web.views.page import console_view, render_page, run_action, safe_next


@console_view
def device_detail(request: HttpRequest, number: str) -> HttpResponse:
    actor = request.user
    page = device_page(actor, number)
    device = page.device
    now = clock.now()
    fitting = list(licenses_fitting_device(actor, device)) if actor.can_operate else []
    bound = []
    for license in device.licenses.all():
        license.status = license_status(license)
        bound.append((license, can_operate_license(actor, license, "unbind")))
    return render_page(
        request,
        "web/device_page.html",
        {
            "title": _("Device %(number)s") % {"number": device.number},
            "device": device,
            "bound": bound,
            "deductions": page.deductions,
            "transfers": page.transfers,
            "fitting": fitting,
            "projected_end": projected_service_end(device, now=now),
            "can_clear": actor.is_platform_admin and device.blacklisted,
            "clear_form": ClearBlacklistForm(),
        },
        customer=device.customer,
        nav="devices",
    )


@require_POST
@console_view
def device_bind(request: HttpRequest, number: str) -> HttpResponse:
    """Bind the license picked on the device page (or typed: a card number) to this device."""
    actor = request.user
    device = device_get(actor, number)
    back = safe_next(request, reverse("web:device", args=[device.number]))
    card = request.POST.get("card", "").strip()
    if not card:
        messages.error(request, _("Choose a license to bind."))
        return redirect(back)
    try:
        license = license_get(actor, card)
    except NotFound:
        messages.error(request, _("License %(card)s not found.") % {"card": card})
        return redirect(back)
    owner = license.customer
    return run_action(
        request,
        lambda: services.license_bind(actor=actor, license=license, device=device, now=clock.now()),
        success=lambda bound: bind_success(
            bound, device_number=device.number, owner=owner, from_list=False
        ),
        next_url=back,
    )
