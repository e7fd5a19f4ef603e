"""The header search (SPEC 13): customers, cards and devices of the account's subtree by
number (whole, prefix, or the last digits of a device) and customers by name."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from daypass.core.errors import ValidationFailed
from daypass.licenses.search import search
from daypass.web.selection import selected_customer
from daypass.web.views.page import console_view, render_page


@console_view
def search_results(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    found, error = None, ""
    if q:
        try:
            found = search(request.user, q)
        except ValidationFailed:
            error = _("Type 1 to 64 characters: a number, its first characters or a name.")
    return render_page(
        request,
        "web/search.html",
        {"title": _("Search"), "q": q, "found": found, "error": error},
        customer=selected_customer(request),
        nav="search",
    )
