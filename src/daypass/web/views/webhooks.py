"""Webhook endpoints (SPEC 12.3): the list, a new endpoint (its secret shown once), one
endpoint's page (edit, rotate the secret, send a test, delete) and its deliveries with resend.
A customer's own admins change them; a superior's admin sees a sub-customer's read only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from daypass.core import clock
from daypass.core.errors import DaypassError
from daypass.events.types import EventType
from daypass.web.error_messages import error_text
from daypass.web.selection import selected_customer
from daypass.web.views.page import console_view, paginate, render_page, run_action, safe_next
from daypass.webhooks.models import DeliveryStatus
from daypass.webhooks.selectors import delivery_get, delivery_list, endpoint_get, endpoint_list
from daypass.webhooks.services import (
    delivery_resend,
    endpoint_create,
    endpoint_delete,
    endpoint_secret_rotate,
    endpoint_test,
    endpoint_update,
)

EVENT_TYPES = [t.value for t in EventType if t != EventType.WEBHOOK_TEST]


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


def _list_url(customer) -> str:
    return reverse("web:webhooks") + f"?customer={customer.number}"


def _endpoint_url(endpoint) -> str:
    return reverse("web:webhook", args=[endpoint.pk]) + f"?customer={endpoint.customer.number}"


def _fields(request: HttpRequest) -> dict:
    return {
        "url": request.POST.get("url", "").strip(),
        "events": [t for t in request.POST.getlist("events") if t],
        "include_subcustomers": request.POST.get("include_subcustomers") == "on",
    }


@console_view
def webhook_records(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    actor = request.user
    customer = selected_customer(request)
    own = actor.customer_id == customer.pk
    error, secret, created, values = "", "", None, {"events": [], "url": ""}
    if request.method == "POST" and own:
        values = _fields(request)
        try:
            created, secret = endpoint_create(
                actor=actor, customer=customer, now=clock.now(), **values
            )
        except DaypassError as failure:
            error = error_text(failure)
    return render_page(
        request,
        "web/webhook_list.html",
        {
            "title": _("Webhooks"),
            "endpoints": endpoint_list(actor, customer.number),
            "own": own,
            "event_types": EVENT_TYPES,
            "error": error,
            "values": values,
            "created": created,
            "secret": secret,
        },
        customer=customer,
        nav="webhooks",
    )


@console_view
def webhook_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    _require_admin(request)
    actor = request.user
    endpoint = endpoint_get(actor, endpoint_id)
    own = actor.customer_id == endpoint.customer_id
    error, secret = "", ""
    if request.method == "POST" and own:
        action = request.POST.get("action")
        try:
            if action == "update":
                values = _fields(request)
                endpoint = endpoint_update(
                    actor=actor,
                    endpoint=endpoint,
                    now=clock.now(),
                    enabled=request.POST.get("enabled") == "on",
                    **values,
                )
                messages.success(request, _("The webhook is saved."))
                return HttpResponseRedirect(_endpoint_url(endpoint))
            if action == "rotate":
                endpoint, secret = endpoint_secret_rotate(
                    actor=actor, endpoint=endpoint, now=clock.now()
                )
            if action == "test":
                event = endpoint_test(actor=actor, endpoint=endpoint, now=clock.now())
                messages.success(
                    request,
                    _("A test event (%(id)s) is on its way to %(url)s.")
                    % {"id": event.uid, "url": endpoint.url},
                )
                return HttpResponseRedirect(_endpoint_url(endpoint))
        except DaypassError as failure:
            error = error_text(failure)
    status = request.GET.get("status", "")
    if status not in DeliveryStatus.values:
        status = ""
    page_obj = paginate(request, delivery_list(endpoint, status or None))
    return render_page(
        request,
        "web/webhook_detail.html",
        {
            "title": _("Webhook %(id)s") % {"id": endpoint.pk},
            "endpoint": endpoint,
            "own": own,
            "event_types": EVENT_TYPES,
            "error": error,
            "secret": secret,
            "page_obj": page_obj,
            "status": status,
            "status_choices": DeliveryStatus.values,
        },
        customer=endpoint.customer,
        nav="webhooks",
    )


@require_POST
@console_view
def webhook_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    _require_admin(request)
    endpoint = endpoint_get(request.user, endpoint_id)
    if request.POST.get("confirmed") != "1":
        return render_page(
            request,
            "web/license_confirm.html",
            {
                "title": _("Delete webhook"),
                "question": _(
                    "Delete the webhook to %(url)s? Its pending deliveries are never sent."
                )
                % {"url": endpoint.url},
                "next": _endpoint_url(endpoint),
            },
            customer=endpoint.customer,
            nav="webhooks",
        )
    customer = endpoint.customer
    url = endpoint.url
    return run_action(
        request,
        lambda: endpoint_delete(actor=request.user, endpoint=endpoint, now=clock.now()),
        success=_("The webhook to %(url)s is deleted.") % {"url": url},
        next_url=_list_url(customer),
    )


@require_POST
@console_view
def webhook_resend(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    _require_admin(request)
    endpoint = endpoint_get(request.user, endpoint_id)
    delivery = delivery_get(endpoint, delivery_id)
    return run_action(
        request,
        lambda: delivery_resend(actor=request.user, delivery=delivery, now=clock.now()),
        success=_("Delivery %(id)s is sent again.") % {"id": delivery.pk},
        next_url=safe_next(request, _endpoint_url(endpoint)),
    )
