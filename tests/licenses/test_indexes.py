"""The list's filters are answered from indexes (SPEC section 11: a million licenses).

bench/license_queries.py measures the plans on a million rows; these tests only pin what could
silently break: the status index matches the status expression the selectors filter on.
"""

import pytest
from django.db import connection

from daypass.licenses.models import License
from daypass.licenses.selectors import license_list
from tests import factories


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.django_db
def test_a_status_filter_uses_the_status_expression_index(tree):
    for _ in range(3):
        factories.make_license(customer=tree.dealer)

    queryset = license_list(tree.dealer_admin, None, {"status": "expired"}).order_by()

    assert "license_customer_status" in plan_of(queryset.values("pk"))


@pytest.mark.django_db
def test_the_locked_filter_uses_the_partial_index(tree):
    factories.make_license(customer=tree.dealer, locked=True)

    queryset = license_list(tree.dealer_admin, None, {"locked": "true"})

    assert "license_locked_card" in plan_of(queryset.values("pk"))


@pytest.mark.django_db
def test_a_devices_licenses_are_found_through_the_bound_licenses_index(tree):
    device = factories.make_device(customer=tree.dealer)
    factories.make_license(customer=tree.dealer, device=device, bound_at=device.registered_at)
    factories.make_license(customer=tree.dealer)

    assert "license_bound_device_activated" in plan_of(
        License.objects.filter(device=device).values("pk")
    )
