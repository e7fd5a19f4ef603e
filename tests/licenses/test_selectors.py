from datetime import timedelta

import pytest

from daypass.core.errors import NotFound, ValidationFailed
from daypass.licenses.selectors import (
    license_get,
    license_list,
    license_stats,
    license_summary,
    transfer_list,
)
from daypass.licenses.services import license_bind, licenses_return, licenses_sell
from tests import factories

DAY = timedelta(days=1)


def cards(queryset):
    return [lic.card for lic in queryset]


# --- scoping ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_license_get_sees_the_own_subtree_only(tree, license_type):
    factories.make_license(customer=tree.fleet, type=license_type, card="FLEET-1")

    assert license_get(tree.distributor_viewer, "FLEET-1").status == "unused"
    with pytest.raises(NotFound):
        license_get(tree.sibling_admin, "FLEET-1")
    with pytest.raises(NotFound):
        license_get(tree.distributor_admin, "NO-SUCH-CARD")


@pytest.mark.django_db
def test_a_sub_customer_cannot_see_its_superiors_license(tree, license_type):
    factories.make_license(customer=tree.dealer, type=license_type, card="DEALER-1")

    with pytest.raises(NotFound):
        license_get(tree.fleet_admin, "DEALER-1")


@pytest.mark.django_db
def test_license_list_shows_only_what_the_selected_customer_owns(tree, license_type):
    factories.make_license(customer=tree.distributor, type=license_type, card="D-1")
    factories.make_license(customer=tree.dealer, type=license_type, card="DL-1")
    factories.make_license(customer=tree.fleet, type=license_type, card="F-1")

    assert cards(license_list(tree.distributor_admin, None, {})) == ["D-1"]
    assert cards(license_list(tree.distributor_admin, tree.dealer.number, {})) == ["DL-1"]
    assert cards(license_list(tree.distributor_admin, tree.fleet, {})) == ["F-1"]


@pytest.mark.django_db
@pytest.mark.parametrize("selector", [license_list, license_stats, license_summary, transfer_list])
def test_selecting_a_customer_outside_the_subtree_is_not_found(tree, selector):
    with pytest.raises(NotFound):
        selector(tree.dealer_admin, tree.sibling.number)
    with pytest.raises(NotFound):
        selector(tree.dealer_admin, tree.distributor)
    with pytest.raises(NotFound):
        selector(tree.dealer_admin, "C999999")


# --- license filters -------------------------------------------------------------------------


@pytest.fixture
def dealer_licenses(tree, license_type, dealer_device, now):
    other_type = factories.make_license_type(code="MDVR-30", days=30)
    make = factories.make_license
    make(customer=tree.dealer, type=license_type, card="L-01", available_days=365)
    make(customer=tree.dealer, type=license_type, card="L-02", available_days=29)
    make(customer=tree.dealer, type=license_type, card="L-03", available_days=6, locked=True)
    make(customer=tree.dealer, type=license_type, card="L-04", available_days=0, activated_at=now)
    make(
        customer=tree.dealer,
        type=license_type,
        card="L-05",
        available_days=100,
        device=dealer_device,
        bound_at=now,
        activated_at=now - 2 * DAY,
    )
    make(
        customer=tree.dealer,
        type=license_type,
        card="L-06",
        available_days=30,
        device=dealer_device,
        bound_at=now,
    )
    make(customer=tree.dealer, type=other_type, card="L-07", available_days=7, activated_at=now)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["L-01", "L-02", "L-03", "L-04", "L-05", "L-06", "L-07"]),
        ({"card": "L-03"}, ["L-03"]),
        ({"type": "MDVR-30"}, ["L-07"]),
        ({"type": "NO-SUCH"}, []),
        ({"status": "unused"}, ["L-01", "L-02", "L-03"]),
        ({"status": "inactive"}, ["L-06"]),
        ({"status": "in_use"}, ["L-05"]),
        ({"status": "deactivated"}, ["L-07"]),
        ({"status": "expired"}, ["L-04"]),
        ({"days_min": "7", "days_max": "30"}, ["L-02", "L-06", "L-07"]),
        ({"days_max": "0"}, ["L-04"]),
        ({"device": "DEV-DEALER"}, ["L-05", "L-06"]),
        ({"locked": "true"}, ["L-03"]),
        ({"locked": "false", "days_max": "6"}, ["L-04"]),
        ({"activated_from": "2026-10-30", "activated_to": "2026-10-30"}, ["L-05"]),
        ({"activated_from": "2026-11-01"}, ["L-04", "L-07"]),
        ({"activated_to": "2026-10-31"}, ["L-05"]),
        ({"activated_from": "2026-11-01T12:00:00Z"}, ["L-04", "L-07"]),
        ({"activated_from": "2026-11-01T12:00:01+00:00"}, []),
        ({"activated_to": "2026-11-01T11:59:59Z"}, ["L-05"]),
        ({"activated_to": "2026-11-01T20:00:00+08:00"}, ["L-04", "L-05", "L-07"]),
        ({"order": "-card"}, ["L-07", "L-06", "L-05", "L-04", "L-03", "L-02", "L-01"]),
        (
            {"order": "available_days"},
            ["L-04", "L-03", "L-07", "L-02", "L-06", "L-05", "L-01"],
        ),
        (
            {"order": "-available_days"},
            ["L-01", "L-05", "L-06", "L-02", "L-07", "L-03", "L-04"],
        ),
        ({"order": "activated_at", "status": "deactivated"}, ["L-07"]),
        ({"order": "-total_days", "days_max": "30"}, ["L-06", "L-04", "L-03", "L-02", "L-07"]),
        ({"page": "2", "page_size": "10", "customer": "ignored here"}, None),
    ],
)
def test_license_filters(tree, dealer_licenses, filters, expected):
    result = cards(license_list(tree.dealer_viewer, tree.dealer, filters))

    if expected is None:
        expected = ["L-01", "L-02", "L-03", "L-04", "L-05", "L-06", "L-07"]
    assert result == expected


@pytest.mark.django_db
def test_order_by_activation_puts_never_activated_licenses_consistently(tree, dealer_licenses):
    ascending = cards(license_list(tree.dealer_admin, tree.dealer, {"order": "activated_at"}))
    descending = cards(license_list(tree.dealer_admin, tree.dealer, {"order": "-activated_at"}))

    activated = [c for c in ascending if c in {"L-04", "L-05", "L-07"}]
    assert activated[0] == "L-05"
    assert sorted(ascending) == sorted(descending)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"days_min": "ten"}, "days_min"),
        ({"days_max": "-1"}, "days_max"),
        ({"locked": "yes"}, "locked"),
        ({"locked": "1"}, "locked"),
        ({"activated_from": "2026-13-01"}, "activated_from"),
        ({"activated_to": "yesterday"}, "activated_to"),
        ({"order": "customer"}, "order"),
    ],
)
def test_invalid_filter_values_are_validation_errors_naming_the_field(tree, filters, field):
    with pytest.raises(ValidationFailed) as error:
        license_list(tree.dealer_admin, None, filters)

    assert error.value.code == "validation_error"
    assert error.value.field == field
    assert field in error.value.message


# --- statistics ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_license_stats_counts_the_selected_customers_own_licenses(
    tree, dealer_licenses, license_type, django_assert_max_num_queries
):
    factories.make_license(customer=tree.fleet, type=license_type, available_days=3)

    with django_assert_max_num_queries(3):
        stats = license_stats(tree.distributor_admin, tree.dealer)

    assert stats == {
        "total": 7,
        "below_30_days": 3,  # 29, 6, 7 (0 is expired, 30 is not below 30)
        "below_7_days": 1,  # 6
        "by_type": {"ADAS-365": 6, "MDVR-30": 1},
        "by_status": {"unused": 3, "inactive": 1, "in_use": 1, "deactivated": 1, "expired": 1},
    }


@pytest.mark.django_db
def test_license_stats_of_a_customer_without_licenses_are_zero(tree):
    stats = license_stats(tree.fleet_admin, None)

    assert stats["total"] == 0
    assert stats["by_type"] == {}
    assert set(stats["by_status"].values()) == {0}


@pytest.mark.django_db
def test_stats_agree_with_the_filtered_lists_they_link_to(tree, dealer_licenses):
    stats = license_stats(tree.dealer_admin, None)

    for status, count in stats["by_status"].items():
        assert license_list(tree.dealer_admin, None, {"status": status}).count() == count
    for code, count in stats["by_type"].items():
        assert license_list(tree.dealer_admin, None, {"type": code}).count() == count
    low = license_list(tree.dealer_admin, None, {"days_min": "1", "days_max": "29"}).count()
    assert low == stats["below_30_days"]


@pytest.mark.django_db
def test_license_summary_counts_each_status_per_type(
    tree, dealer_licenses, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        summary = license_summary(tree.dealer_admin, None)

    assert summary == [
        {
            "type": "ADAS-365",
            "name": "Test license",
            "days": 365,
            "models": ["MX-C6"],
            "unused": 3,
            "inactive": 1,
            "in_use": 1,
            "deactivated": 0,
            "expired": 1,
            "total": 6,
        },
        {
            "type": "MDVR-30",
            "name": "Test license",
            "days": 30,
            "models": [summary[1]["models"][0]],
            "unused": 0,
            "inactive": 0,
            "in_use": 0,
            "deactivated": 1,
            "expired": 0,
            "total": 1,
        },
    ]


@pytest.mark.django_db
def test_license_summary_filters_by_license_code(tree, dealer_licenses):
    summary = license_summary(tree.dealer_admin, None, type_code="MDVR-30")

    assert [row["type"] for row in summary] == ["MDVR-30"]
    assert license_summary(tree.dealer_admin, None, type_code="NOPE") == []


# --- sales records ---------------------------------------------------------------------------


@pytest.fixture
def history(tree, license_type, fleet_device, now):
    """distributor sells 2 to dealer (day 1); dealer binds one to the fleet's device (day 2);
    the fleet returns it (day 3)."""
    first, second = (
        factories.make_license(customer=tree.distributor, type=license_type, card=card)
        for card in ("H-1", "H-2")
    )
    licenses_sell(actor=tree.distributor_admin, licenses=[first, second], to=tree.dealer, now=now)
    license_bind(actor=tree.dealer_admin, license=first, device=fleet_device, now=now + DAY)
    second.refresh_from_db()
    licenses_sell(actor=tree.dealer_admin, licenses=[second], to=tree.fleet, now=now + 2 * DAY)
    licenses_return(actor=tree.fleet_admin, licenses=[second], now=now + 3 * DAY)


def transfer_rows(queryset):
    return [(t.license.card, t.method) for t in queryset]


@pytest.mark.django_db
def test_transfer_list_shows_records_where_the_customer_is_sender_or_receiver(tree, history):
    dealer_view = transfer_rows(transfer_list(tree.dealer_admin, None, {}))
    distributor_view = transfer_rows(transfer_list(tree.distributor_admin, None, {}))
    fleet_view = transfer_rows(transfer_list(tree.fleet_admin, None, {}))

    assert dealer_view == [
        ("H-2", "return"),
        ("H-2", "sell"),
        ("H-1", "bind"),
        ("H-2", "sell"),
        ("H-1", "sell"),
    ]
    assert sorted(distributor_view) == [("H-1", "sell"), ("H-2", "sell")]
    assert fleet_view == [("H-2", "return"), ("H-2", "sell"), ("H-1", "bind")]
    assert transfer_rows(transfer_list(tree.distributor_admin, tree.fleet, {})) == fleet_view


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"method": "bind"}, [("H-1", "bind")]),
        ({"card": "H-2"}, [("H-2", "return"), ("H-2", "sell")]),
        ({"type": "ADAS-365", "method": "return"}, [("H-2", "return")]),
        ({"type": "OTHER"}, []),
        ({"date_from": "2026-11-02", "date_to": "2026-11-03"}, [("H-2", "sell"), ("H-1", "bind")]),
        ({"date_to": "2026-11-02T11:59:59Z"}, []),
        ({"date_from": "2026-11-04T12:00:00Z"}, [("H-2", "return")]),
    ],
)
def test_transfer_filters(tree, history, filters, expected):
    assert transfer_rows(transfer_list(tree.fleet_admin, None, filters)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "field"),
    [({"method": "gift"}, "method"), ({"date_from": "2026-02-30"}, "date_from")],
)
def test_invalid_transfer_filters_name_the_field(tree, filters, field):
    with pytest.raises(ValidationFailed) as error:
        transfer_list(tree.dealer_admin, None, filters)

    assert error.value.field == field
