"""Time is taken once at the edge (view, command, API) and passed into services as `now=`."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
