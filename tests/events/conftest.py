from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder

from daypass.events.models import Event


def events(type: str | None = None) -> list[Event]:
    """The events written so far (oldest first), optionally of one type."""
    found = Event.objects.order_by("id").select_related("customer")
    return list(found.filter(type=type) if type else found)


def stored(value):
    """A value as the events table stores it (the API's JSON encoding)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
