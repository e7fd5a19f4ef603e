"""Export selectors: the list's rows (filters, subtree) as plain values, lazily (SPEC 13)."""

import pytest

from daypass.core.errors import NotFound, ValidationFailed
from daypass.licenses.exports import device_export, license_export
from tests import factories
from tests.factories import NOW


@pytest.fixture
def stock(tree):
    kind = factories.make_license_type(code="ADAS-365")
    model = kind.device_models.get()
    device = factories.make_device(customer=tree.fleet, model=model, number="D-1")
    factories.make_device(customer=tree.dealer, model=model, number="D-0")
    factories.make_license(customer=tree.dealer, type=kind, card="L-1", locked=True)
    factories.make_license(
        customer=tree.fleet,
        type=kind,
        card="L-3",
        device=device,
        bound_at=NOW,
        activated_at=NOW,
        available_days=10,
    )
    factories.make_license(customer=tree.fleet, type=kind, card="L-2", device=device, bound_at=NOW)
    factories.make_license(customer=tree.sibling, type=kind, card="L-9")
    return kind


def test_license_export_rows(tree, stock):
    header, rows = license_export(tree.dealer_admin, None, {}, subtree=True)

    assert header == [
        "card",
        "type",
        "status",
        "total_days",
        "available_days",
        "locked",
        "activated_at",
        "device",
        "bound_at",
        "customer",
    ]
    assert list(rows) == [
        ["L-1", "ADAS-365", "unused", 365, 365, "true", "", "", "", tree.dealer.number],
        [
            "L-2",
            "ADAS-365",
            "inactive",
            365,
            365,
            "false",
            "",
            "D-1",
            NOW.isoformat(),
            tree.fleet.number,
        ],
        [
            "L-3",
            "ADAS-365",
            "in_use",
            365,
            10,
            "false",
            NOW.isoformat(),
            "D-1",
            NOW.isoformat(),
            tree.fleet.number,
        ],
    ]


def test_license_export_takes_the_list_filters(tree, stock):
    _header, rows = license_export(
        tree.dealer_admin, tree.fleet.number, {"status": "in_use", "card": "L-*"}
    )

    assert [row[0] for row in rows] == ["L-3"]


def test_device_export_rows_with_bound_cards(tree, stock):
    header, rows = device_export(tree.distributor_admin, None, {}, subtree=True)

    assert header[:3] == ["number", "model", "customer"]
    assert header[-1] == "licenses"
    rows = list(rows)
    assert [(row[0], row[2], row[-1]) for row in rows] == [
        ("D-0", tree.dealer.number, ""),
        ("D-1", tree.fleet.number, "L-2 L-3"),
    ]


def test_device_export_reads_bound_cards_once_per_chunk(
    tree, stock, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("daypass.licenses.exports.EXPORT_CHUNK", 2)
    for i in range(6):
        factories.make_device(customer=tree.fleet, number=f"D-{i + 2}")

    with django_assert_max_num_queries(1 + 4 + 4):  # customer, 4 chunks of devices, 4 of cards
        _header, rows = device_export(tree.dealer_admin, None, {}, subtree=True)
        assert len(list(rows)) == 8


def test_exports_check_scope_and_filters_before_streaming(tree, stock):
    with pytest.raises(NotFound):
        license_export(tree.dealer_admin, tree.sibling.number, {})
    with pytest.raises(NotFound):
        device_export(tree.dealer_admin, tree.distributor.number, {}, subtree=True)
    with pytest.raises(ValidationFailed):
        license_export(tree.dealer_admin, None, {"days_min": "many"})
    with pytest.raises(ValidationFailed):
        device_export(tree.dealer_admin, None, {"number": "A*B"})
