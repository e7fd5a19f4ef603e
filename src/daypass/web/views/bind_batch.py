"""Bulk bind from an uploaded CSV (SPEC 13): `device,card` or `device,license code` lines,
previewed (every line with its pick or its error), then bound all or nothing. Admins and
operators of any customer; the services check every rule again on confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from daypass.core import clock
from daypass.core.errors import DaypassError
from daypass.core.limits import MAX_BIND_BATCH
from daypass.licenses.selectors import license_type_codes
from daypass.licenses.services.batches import (
    BindItem,
    licenses_bind_batch,
    licenses_bind_batch_preview,
)
from daypass.web.csv_upload import (
    CsvLine,
    CsvRejected,
    csv_lines,
    csv_text_of_upload,
    preview_lines,
)
from daypass.web.error_messages import error_text
from daypass.web.selection import selected_customer
from daypass.web.views.page import console_view, render_page

COLUMNS = ("device", "card")
HEADERS = (("device", "license code"), ("device", "type"), ("device", "card or license code"))


def bind_items(lines: list[CsvLine]) -> list[BindItem]:
    """A second cell that is a license code of the catalog picks a card of that type; any other
    value is a card number (docs/decisions.md)."""
    values = {line.cells[1] for line in lines}
    codes = values & set(license_type_codes())
    items = []
    for device, value in (line.cells for line in lines):
        if value in codes:
            items.append(BindItem(device=device, type=value))
        else:
            items.append(BindItem(device=device, card=value))
    return items


@console_view
def bind_batch(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST `form=preview` (a file) or `form=confirm` (the CSV text from
    the preview, read and checked again)."""
    actor = request.user
    if not actor.can_operate:
        raise PermissionDenied
    context: dict = {
        "title": _("Bulk bind from CSV"),
        "columns": ",".join(COLUMNS),
        "max_rows": MAX_BIND_BATCH,
        "headings": [_("Device number"), _("Card or license code")],
    }
    if request.method != "POST":
        return _page(request, context)
    confirming = request.POST.get("form") == "confirm"
    try:
        if confirming:
            text = request.POST.get("csv", "")
        else:
            text = csv_text_of_upload(request.FILES.get("file"))
        lines = csv_lines(text, columns=COLUMNS, headers=HEADERS, max_rows=MAX_BIND_BATCH)
    except CsvRejected as rejected:
        return _page(request, {**context, "upload_error": rejected.message}, status=422)
    items = bind_items(lines)
    refused = None
    try:
        if confirming:
            result = licenses_bind_batch(actor=actor, items=items, now=clock.now())
            count = len(result.items)
            messages.success(
                request,
                ngettext("Bound %(count)d license.", "Bound %(count)d licenses.", count)
                % {"count": count},
            )
            return redirect("web:devices")
    except DaypassError as error:
        refused = error_text(error)
    try:
        preview = licenses_bind_batch_preview(actor=actor, items=items, now=clock.now())
    except DaypassError as error:
        return _page(request, {**context, "upload_error": error_text(error)}, status=422)
    bad_rows = {error.row for error in preview.errors}
    good = [line.row for line in lines if line.row not in bad_rows]
    outcomes = {
        row: _("binds %(card)s") % {"card": card}
        for row, (_device, card) in zip(good, preview.items, strict=False)
    }
    context.update(
        preview=preview_lines(lines, preview.errors, outcomes),
        preview_bad=len(bad_rows),
        preview_csv=text,
        refused=refused,
    )
    return _page(request, context, status=422 if bad_rows or refused else 200)


def _page(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    return render_page(
        request,
        "web/bind_batch.html",
        context,
        customer=selected_customer(request),
        nav="devices",
        status=status,
    )
