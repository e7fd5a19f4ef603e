"""Error pages that look like the console (templates 400/403/404/500.html sit beside them)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a stale or missing form token, most often an expired session or a
    form left open for hours. The reason stays in the log, not on the page."""
    return render(request, "403_csrf.html", status=403)
