"""A reversed range is a 422 naming it, not an empty list (issue 10, trial item 7)."""

import pytest

from tests.api.conftest import error_of
from tests.factories import make_license


@pytest.mark.parametrize(
    ("path", "low", "high", "low_value", "high_value"),
    [
        ("/licenses", "days_min", "days_max", "30", "7"),
        ("/licenses", "activated_from", "activated_to", "2026-11-05", "2026-11-04"),
        ("/licenses", "activated_from", "activated_to", "2026-11-05T00:00:00Z", "2026-11-04"),
        ("/transfers", "date_from", "date_to", "2026-11-02", "2026-11-01"),
        ("/deductions", "date_from", "date_to", "2026-11-02T10:00:00Z", "2026-11-02T09:00:00Z"),
    ],
)
def test_a_reversed_range_says_so(api_as, tree, path, low, high, low_value, high_value):
    response = api_as(tree.dealer_admin).get(path, {low: low_value, high: high_value})

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "reversed" in error["message"] and low in error["message"]


@pytest.mark.parametrize(
    ("low_value", "high_value"),
    [("2026-11-04", "2026-11-04"), ("2026-11-04T10:00:00Z", "2026-11-04T10:00:00Z")],
)
def test_a_range_of_one_day_or_one_instant_is_not_reversed(api_as, tree, low_value, high_value):
    params = {"activated_from": low_value, "activated_to": high_value}

    assert api_as(tree.dealer_admin).get("/licenses", params).status_code == 200


def test_equal_days_bounds_are_a_range(api_as, tree):
    make_license(customer=tree.dealer, card="L-7", available_days=7)

    response = api_as(tree.dealer_admin).get("/licenses", {"days_min": "7", "days_max": "7"})

    assert [item["card"] for item in response.json()["items"]] == ["L-7"]
