"""License Management: running-low numbers, two pies and the summary by license code (SPEC 6)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from daypass.core.limits import RUNNING_LOW_DAYS, RUNNING_VERY_LOW_DAYS
from daypass.licenses.models import LicenseStatus
from daypass.licenses.selectors import license_overview as license_overview_counts
from daypass.web.charts import PieItem, pie_chart
from daypass.web.selection import selected_customer, subtree_selected
from daypass.web.status_labels import STATUS_COLORS, status_label
from daypass.web.views.page import console_view, render_page

STATUS_ORDER = [status.value for status in LicenseStatus]


def _details_url(customer_number: str, **filters: str | int) -> str:
    """A link to the license details list for `customer_number`, filtered by `filters`."""
    query = {"customer": customer_number, **{k: v for k, v in filters.items() if v != ""}}
    return reverse("web:licenses") + "?" + urlencode(query)


def rollup_rows(by_customer: list[dict], selected_number: str) -> list[dict]:
    """The roll-up table: the selected customer's own licenses, then one row per child for its
    whole subtree, each number a link to the matching list."""
    rows = []
    for row in by_customer:
        own = row["customer"] == selected_number
        scope = {} if own else {"subtree": "true"}
        rows.append(
            {
                **row,
                "own": own,
                "overview_url": reverse("web:home")
                + "?"
                + urlencode({"customer": row["customer"], **scope}),
                "counts": [
                    (
                        row["by_status"][status],
                        _details_url(row["customer"], status=status, **scope),
                    )
                    for status in STATUS_ORDER
                ],
                "total_url": _details_url(row["customer"], **scope),
                "below_30_url": _details_url(
                    row["customer"], days_min=1, days_max=29, order="available_days", **scope
                ),
                "below_7_url": _details_url(
                    row["customer"], days_min=1, days_max=6, order="available_days", **scope
                ),
                "devices_url": reverse("web:devices")
                + "?"
                + urlencode({"customer": row["customer"], **scope}),
                "blacklisted_url": reverse("web:devices")
                + "?"
                + urlencode({"customer": row["customer"], "blacklisted": "true", **scope}),
            }
        )
    return rows


@console_view
def license_overview(request: HttpRequest) -> HttpResponse:
    customer = selected_customer(request)
    subtree = subtree_selected(request)
    type_code = request.GET.get("type", "").strip()
    # One pass over the customer's licenses for the numbers, both pies and the summary table.
    counts = license_overview_counts(
        request.user, customer, type_code=type_code or None, subtree=subtree
    )
    stats, summary = counts["stats"], counts["summary"]
    number = customer.number
    scope = {"subtree": "true"} if subtree else {}

    def details_url(customer_number: str, **filters: str | int) -> str:
        return _details_url(customer_number, **filters, **scope)

    by_type = stats["by_type"]
    type_pie = pie_chart(
        [
            PieItem(key=code, label=code, count=count, url=details_url(number, type=code))
            for code, count in sorted(by_type.items(), key=lambda item: (-item[1], item[0]))
        ]
    )
    by_status = stats["by_status"]
    status_pie = pie_chart(
        [
            PieItem(
                key=status,
                label=status_label(status),
                count=by_status.get(status, 0),
                url=details_url(number, status=status),
                color=STATUS_COLORS[status],
            )
            for status in STATUS_ORDER
        ]
    )
    rows = []
    for item in summary:
        code = item["type"]
        rows.append(
            {
                **item,
                "counts": [
                    (item[status], details_url(number, type=code, status=status))
                    for status in STATUS_ORDER
                ],
                "total_url": details_url(number, type=code),
            }
        )
    return render_page(
        request,
        "web/license_overview.html",
        {
            "stats": stats,
            # Running-low lists come sorted by days left, fewest first.
            "below_30_url": details_url(
                number, days_min=1, days_max=RUNNING_LOW_DAYS - 1, order="available_days"
            ),
            "below_7_url": details_url(
                number, days_min=1, days_max=RUNNING_VERY_LOW_DAYS - 1, order="available_days"
            ),
            "type_pie": type_pie,
            "status_pie": status_pie,
            "summary_rows": rows,
            "type_code": type_code,
            "status_headers": [status_label(s) for s in STATUS_ORDER],
            "subtree": subtree,
            "rollup": rollup_rows(stats["by_customer"], number) if subtree else [],
            "title": _("License Management"),
        },
        customer=customer,
        nav="overview",
    )
