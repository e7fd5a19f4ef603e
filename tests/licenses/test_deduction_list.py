"""billing.selectors.deduction_list: a read over the deduction records (SPEC section 7).

The rows are written directly: the billing engine that writes them is tested in tests/billing.
"""

from datetime import timedelta

import pytest

from daypass.billing.models import Deduction
from daypass.billing.selectors import deduction_list
from daypass.core.errors import NotFound, ValidationFailed
from tests import factories

DAY = timedelta(days=1)


def deduction(*, device, license, customer, at, result="success"):
    return Deduction.objects.create(
        at=at,
        device=device,
        license=license if result == "success" else None,
        customer=customer,
        days=1 if result == "success" else 0,
        available_days_after=license.available_days if result == "success" else None,
        window_start=at,
        window_end=at + DAY if result == "success" else None,
        trigger="report",
        result=result,
        reason="" if result == "success" else "no_valid_license",
    )


@pytest.fixture
def history(tree, license_type, dealer_device, fleet_device, now):
    """The license L-1 was charged while the distributor owned it (day 0), then while the
    dealer did (days 1, 2); the fleet's device failed once (day 3)."""
    license = factories.make_license(customer=tree.dealer, type=license_type, card="L-1")
    other = factories.make_license(customer=tree.fleet, type=license_type, card="L-2")
    deduction(device=dealer_device, license=license, customer=tree.distributor, at=now)
    deduction(device=dealer_device, license=license, customer=tree.dealer, at=now + DAY)
    deduction(device=dealer_device, license=license, customer=tree.dealer, at=now + 2 * DAY)
    deduction(device=fleet_device, license=other, customer=tree.fleet, at=now + 2 * DAY)
    deduction(
        device=fleet_device, license=None, customer=tree.fleet, at=now + 3 * DAY, result="failed"
    )


def days_of(queryset):
    return [(d.at - factories.NOW).days for d in queryset]


@pytest.mark.django_db
def test_deductions_of_the_selected_customer_newest_first(tree, history):
    assert days_of(deduction_list(tree.dealer_admin, None, {})) == [2, 1]
    assert days_of(deduction_list(tree.dealer_admin, tree.fleet.number, {})) == [3, 2]
    assert days_of(deduction_list(tree.distributor_admin, None, {})) == [0]


@pytest.mark.django_db
def test_deductions_outside_the_subtree_are_not_found(tree, history):
    with pytest.raises(NotFound):
        deduction_list(tree.fleet_admin, tree.dealer.number, {})
    with pytest.raises(NotFound):
        deduction_list(tree.sibling_admin, None, {}, card="L-1")


@pytest.mark.django_db
def test_a_licenses_deductions_hide_the_time_a_superior_owned_it(tree, history):
    assert days_of(deduction_list(tree.dealer_admin, None, {}, card="L-1")) == [2, 1]
    assert days_of(deduction_list(tree.distributor_admin, None, {}, card="L-1")) == [2, 1, 0]
    with pytest.raises(NotFound):
        deduction_list(tree.fleet_admin, None, {}, card="L-1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"result": "failed"}, [3]),
        ({"result": "success"}, [2]),
        ({"card": "L-2"}, [2]),
        ({"device": "DEV-FLEET", "date_from": "2026-11-04"}, [3]),
        ({"date_to": "2026-11-03"}, [2]),
        ({"date_to": "2026-11-03T11:59:59Z"}, []),
    ],
)
def test_deduction_filters(tree, history, filters, expected):
    assert days_of(deduction_list(tree.fleet_admin, None, filters)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "field"),
    [({"result": "maybe"}, "result"), ({"date_from": "11/01/2026"}, "date_from")],
)
def test_invalid_deduction_filters_name_the_field(tree, filters, field):
    with pytest.raises(ValidationFailed) as error:
        deduction_list(tree.fleet_admin, None, filters)

    assert error.value.field == field
