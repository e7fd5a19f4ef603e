import itertools

import pytest

from daypass.licenses.models import License
from daypass.licenses.status import license_status, status_expression
from tests import factories


@pytest.mark.django_db
def test_sql_status_agrees_with_python_status_for_every_combination(tree):
    license_type = factories.make_license_type(models=[factories.make_device_model("MX-S")])
    device = factories.make_device(customer=tree.dealer, model=license_type.device_models.first())
    combos = list(itertools.product([0, 1, 5], [False, True], [False, True]))
    for available, bound, activated in combos:
        factories.make_license(
            customer=tree.dealer,
            type=license_type,
            available_days=available,
            total_days=10,
            device=device if bound else None,
            bound_at=factories.NOW if bound else None,
            activated_at=factories.NOW if activated else None,
        )

    rows = License.objects.annotate(sql_status=status_expression())

    assert rows.count() == len(combos)
    for row in rows:
        assert row.sql_status == license_status(row).value, row.card
    assert {row.sql_status for row in rows} == {
        "unused",
        "inactive",
        "in_use",
        "deactivated",
        "expired",
    }
