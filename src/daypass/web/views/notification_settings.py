"""The account's notification settings (SPEC 12.2): email address, the whole subtree or not,
and per event type off / inbox / inbox + email / inbox + digest."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from daypass.core import clock
from daypass.core.errors import DaypassError
from daypass.notifications.preferences import INBOX_TYPES, NEVER_OFF_FOR_ADMINS
from daypass.notifications.selectors import notification_settings_get
from daypass.notifications.services import notification_settings_update
from daypass.web.error_messages import error_text
from daypass.web.selection import selected_customer
from daypass.web.status_labels import MODE_LABELS
from daypass.web.views.page import console_view, render_page


@console_view
def notification_settings(request: HttpRequest) -> HttpResponse:
    account = request.user
    error = ""
    if request.method == "POST":
        before = notification_settings_get(account)["events"]
        try:
            notification_settings_update(
                account=account,
                email=request.POST.get("email", "").strip() or None,
                subtree=request.POST.get("subtree") == "on",
                # Only what changed: an untouched type keeps following its role's default.
                events={
                    type: request.POST[f"mode-{type}"]
                    for type in INBOX_TYPES
                    if request.POST.get(f"mode-{type}", before[type]) != before[type]
                },
                now=clock.now(),
            )
        except DaypassError as failure:
            error = error_text(failure)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return HttpResponseRedirect(reverse("web:notification_settings"))
    current = notification_settings_get(account)
    rows = [
        {
            "type": type,
            "mode": current["events"][type],
            "modes": [
                (mode, label)
                for mode, label in MODE_LABELS.items()
                if not (mode == "off" and type == NEVER_OFF_FOR_ADMINS and account.is_admin)
            ],
        }
        for type in INBOX_TYPES
    ]
    return render_page(
        request,
        "web/notification_settings.html",
        {
            "title": _("Notification settings"),
            "settings": current,
            "rows": rows,
            "error": error,
        },
        customer=selected_customer(request),
        nav="notification_settings",
    )
