"""The inbox page (SPEC 12.2): the account's notifications, newest first, mark read.

A plain page for now; the console issue builds the full one (filters, settings form).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from daypass.core import clock
from daypass.notifications.messages import event_message
from daypass.notifications.selectors import notification_list
from daypass.notifications.services import notification_language_set, notifications_mark_read
from daypass.web.selection import selected_customer
from daypass.web.views.page import console_view, paginate, render_page, run_action


@console_view
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "true"
    rows = notification_list(request.user, unread=True if unread_only else None)
    page_obj = paginate(request, rows)
    items = [
        {
            "notification": n,
            "message": event_message(n.event.type, n.event.customer.number, n.event.data),
        }
        for n in page_obj.object_list
    ]
    return render_page(
        request,
        "web/notification_list.html",
        {
            "title": _("Notifications"),
            "items": items,
            "page_obj": page_obj,
            "unread_only": unread_only,
        },
        customer=selected_customer(request),
        nav="notifications",
    )


@console_view
@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(pk) for pk in request.POST.getlist("id") if pk.isdigit()]
    mark_all = request.POST.get("all") == "true"
    return run_action(
        request,
        lambda: notifications_mark_read(
            account=request.user, ids=None if mark_all else ids, all=mark_all, now=clock.now()
        ),
        success=lambda n: _("%(count)d marked read.") % {"count": n},
        next_url=reverse("web:notifications"),
    )


def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in account also gets its emails in that language."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        notification_language_set(account=request.user, language=request.POST.get("language", ""))
    return response
