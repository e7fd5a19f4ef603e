"""The unread count in the console's header."""

from __future__ import annotations

from django import template

from daypass.notifications.selectors import UNREAD_COUNT_CAP, unread_count

register = template.Library()


@register.inclusion_tag("notifications/_unread_link.html", takes_context=True)
def unread_link(context) -> dict:
    request = context["request"]
    count = unread_count(request.user, cap=UNREAD_COUNT_CAP)
    shown = f"{UNREAD_COUNT_CAP}+" if count > UNREAD_COUNT_CAP else str(count)
    return {"count": count, "shown": shown}
