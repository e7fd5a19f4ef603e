"""CSV exports of the license and device lists (SPEC 13), streamed like the records' exports.

The same query string as the list page (its filters, `customer`, `subtree=true`) exports the
same rows, all of them, in the list's order. A page links here with its own query string.
"""

from __future__ import annotations

from django.http import HttpRequest, StreamingHttpResponse

from daypass.core.csv_export import csv_response
from daypass.devices.filters import DeviceFilterSet
from daypass.licenses.exports import device_export, license_export
from daypass.licenses.filters import LicenseFilterSet
from daypass.web.selection import selected_customer, subtree_selected
from daypass.web.views.page import console_view, valid_filters


@console_view
def license_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    customer = selected_customer(request)
    filters, _form = valid_filters(request, LicenseFilterSet)
    subtree = subtree_selected(request)
    header, rows = license_export(request.user, customer, filters, subtree=subtree)
    suffix = "-subtree" if subtree else ""
    return csv_response(f"licenses-{customer.number}{suffix}.csv", header, rows)


@console_view
def device_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    customer = selected_customer(request)
    filters, _form = valid_filters(request, DeviceFilterSet)
    subtree = subtree_selected(request)
    header, rows = device_export(request.user, customer, filters, subtree=subtree)
    suffix = "-subtree" if subtree else ""
    return csv_response(f"devices-{customer.number}{suffix}.csv", header, rows)
