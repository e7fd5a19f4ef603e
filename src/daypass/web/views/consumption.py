"""Consumption and forecast (SPEC 13): days deducted per day over the last 90 days as a
server-rendered bar chart, and when the days in use and in stock run out, per license type."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from daypass.billing.consumption import license_consumption
from daypass.core import clock
from daypass.web.charts import BarItem, bar_chart
from daypass.web.selection import selected_customer, subtree_selected
from daypass.web.views.page import console_view, render_page


@console_view
def consumption(request: HttpRequest) -> HttpResponse:
    customer = selected_customer(request)
    subtree = subtree_selected(request)
    figures = license_consumption(request.user, customer, now=clock.now(), subtree=subtree)
    items = figures["items"]
    chart = bar_chart(
        [
            BarItem(
                key=item["date"].isoformat(),
                label=item["date"].strftime("%m-%d"),
                value=item["days"],
            )
            for item in items
        ]
    )
    return render_page(
        request,
        "web/consumption.html",
        {
            "title": _("Consumption and forecast"),
            "chart": chart,
            "items": items,
            "total_days": sum(item["days"] for item in items),
            "failed": sum(item["failed"] for item in items),
            "forecast": figures["forecast"],
            "subtree": subtree,
        },
        customer=customer,
        nav="consumption",
    )
