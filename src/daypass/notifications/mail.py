"""Rendering emails from templates, in the account's language, as plain text and HTML."""

from __future__ import annotations

from collections.abc import Sequence

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from daypass.customers.models import Account
from daypass.events.models import Event
from daypass.events.types import EventType
from daypass.notifications.messages import TYPE_LABELS, console_url, event_message

# The digest lists this many items of each type; the counts are always whole.
DIGEST_ITEMS_PER_TYPE = 5


def render_immediate(*, event: Event, language: str) -> tuple[str, str, str]:
    """(subject, text, html) of the email for one event."""
    with translation.override(language):
        message = event_message(event.type, event.customer.number, event.data)
        context = {
            "event": event,
            "message": message,
            "type_label": TYPE_LABELS.get(event.type, event.type),
            "customer": event.customer,
            "inbox_url": console_url(reverse("web:notifications")),
        }
        subject = _("[daypass] %(text)s") % {"text": message.text}
        return (
            subject,
            render_to_string("notifications/email/immediate.txt", context),
            render_to_string("notifications/email/immediate.html", context),
        )


def render_digest(
    *, events: Sequence[Event], language: str, account: Account
) -> tuple[str, str, str]:
    """(subject, text, html) of one account's daily digest: events by type, counts, first items."""
    with translation.override(language):
        sections = []
        for type in EventType:
            of_type = [e for e in events if e.type == type]
            if not of_type:
                continue
            sections.append(
                {
                    "label": TYPE_LABELS[type],
                    "count": len(of_type),
                    "items": [
                        event_message(e.type, e.customer.number, e.data)
                        for e in of_type[:DIGEST_ITEMS_PER_TYPE]
                    ],
                    "more": max(0, len(of_type) - DIGEST_ITEMS_PER_TYPE),
                }
            )
        context = {
            "account": account,
            "sections": sections,
            "total": len(events),
            "inbox_url": console_url(reverse("web:notifications")),
        }
        subject = ngettext(
            "[daypass] Daily digest: %(count)d event",
            "[daypass] Daily digest: %(count)d events",
            len(events),
        ) % {"count": len(events)}
        return (
            subject,
            render_to_string("notifications/email/digest.txt", context),
            render_to_string("notifications/email/digest.html", context),
        )
