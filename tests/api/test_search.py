"""GET /search?q=: customers, cards and devices of the caller's subtree (SPEC 13)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import error_of
from tests.factories import make_customer, make_device, make_license, make_license_type


@pytest.fixture
def findable(tree):
    kind = make_license_type(code="ADAS-365")
    model = kind.device_models.get()
    make_license(customer=tree.dealer, type=kind, card="CARD-0001")
    make_license(customer=tree.fleet, type=kind, card="CARD-0002")
    make_license(customer=tree.sibling, type=kind, card="CARD-0003")
    make_device(customer=tree.fleet, model=model, number="860000000004321")
    make_device(customer=tree.dealer, model=model, number="432100000000000")
    make_device(customer=tree.sibling, model=model, number="860000000014321")
    return kind


def search(client, q):
    response = client.get("/search", {"q": q})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"customers", "licenses", "devices"}
    return body


def test_search_finds_cards_by_prefix_in_the_subtree(api_as, tree, findable):
    body = search(api_as(tree.dealer_viewer), "CARD-")

    assert [lic["card"] for lic in body["licenses"]] == ["CARD-0001", "CARD-0002"]
    assert body["licenses"][0]["status"] == "unused"
    assert body["devices"] == []


def test_search_finds_a_whole_card_number(api_as, tree, findable):
    body = search(api_as(tree.dealer_viewer), "CARD-0002")

    assert [lic["card"] for lic in body["licenses"]] == ["CARD-0002"]


def test_search_finds_devices_by_prefix_then_last_digits(api_as, tree, findable):
    body = search(api_as(tree.dealer_viewer), "4321")

    # the prefix match first, then the device whose number ends in 4321; not the sibling's
    assert [d["number"] for d in body["devices"]] == ["432100000000000", "860000000004321"]
    assert body["devices"][1]["customer"] == tree.fleet.number


def test_search_takes_explicit_patterns(api_as, tree, findable):
    client = api_as(tree.platform_admin)

    assert [d["number"] for d in search(client, "*4321")["devices"]] == [
        "860000000004321",
        "860000000014321",
    ]
    assert [d["number"] for d in search(client, "4321*")["devices"]] == ["432100000000000"]


def test_search_finds_customers_by_number_or_name(api_as, tree, findable):
    client = api_as(tree.distributor_viewer)

    by_name = search(client, "fLEe")["customers"]
    by_number = search(client, tree.dealer.number.lower())["customers"]

    assert [c["number"] for c in by_name] == [tree.fleet.number]
    assert by_name[0]["parent"] == tree.dealer.number
    assert [c["number"] for c in by_number] == [tree.dealer.number]
    # the sibling distributor's name matches "distributor", but it is outside the subtree
    assert [c["name"] for c in search(client, "distributor")["customers"]] == ["Distributor"]


def test_search_answers_at_most_ten_of_each(api_as, tree, findable):
    for i in range(12):
        make_customer(parent=tree.dealer, name=f"Many {i}")
        make_license(customer=tree.dealer, type=findable, card=f"MANY-{i:02d}")
        make_device(customer=tree.dealer, number=f"MANY-{i:02d}")

    body = search(api_as(tree.dealer_admin), "Many")
    lists = search(api_as(tree.dealer_admin), "MANY-")

    assert len(body["customers"]) == 10
    assert [lic["card"] for lic in lists["licenses"]] == [f"MANY-{i:02d}" for i in range(10)]
    assert len(lists["devices"]) == 10


def test_search_finds_nothing_outside_the_subtree(api_as, tree, findable):
    body = search(api_as(tree.sibling_admin), "CARD-000")

    assert [lic["card"] for lic in body["licenses"]] == ["CARD-0003"]
    assert search(api_as(tree.sibling_admin), tree.dealer.number)["customers"] == []


@pytest.mark.parametrize("q", ["", "   ", "x" * 65, "A*B", "*"])
def test_search_rejects_an_empty_long_or_bad_query(api_as, tree, q):
    response = api_as(tree.dealer_admin).get("/search", {"q": q})

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_search_without_q_is_a_validation_error(api_as, tree):
    response = api_as(tree.dealer_admin).get("/search")

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_search_needs_a_token(api_as, tree):
    response = api_as(None).get("/search", {"q": "x"})

    assert response.status_code == 401


def test_search_queries_do_not_grow_with_the_matches(api_as, tree, findable):
    client = api_as(tree.dealer_admin)
    client.get("/search", {"q": "8"})

    def count(q) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/search", {"q": q}).status_code == 200
        return len(captured)

    few = count("4321")
    for i in range(10):
        make_device(customer=tree.dealer, number=f"4321{i + 1:011d}")
        make_device(customer=tree.fleet, number=f"{i:011d}4321")
    assert count("4321") <= few  # ten prefix matches spare the suffix query


@pytest.fixture(params=["small subtree", "large subtree"])
def subtree_size_path(request, monkeypatch):
    """Both ways of matching (licenses.search._first): by the subtree's own rows when it is
    small, by walking the number index when it is large; the answers are the same."""
    from daypass.licenses import search as search_module

    if request.param == "large subtree":
        monkeypatch.setattr(search_module, "SMALL_SUBTREE_ROWS", 0)
    return request.param


def test_both_ways_find_the_same_rows_in_order(api_as, tree, findable, subtree_size_path):
    dealer = api_as(tree.dealer_viewer)
    assert [lic["card"] for lic in search(dealer, "CARD-")["licenses"]] == [
        "CARD-0001",
        "CARD-0002",
    ]
    assert [d["number"] for d in search(dealer, "4321")["devices"]] == [
        "432100000000000",
        "860000000004321",
    ]
    # a prefix matching only rows outside the subtree finds nothing (no leak)
    assert search(dealer, "CARD-0003") == {"customers": [], "licenses": [], "devices": []}
    assert search(api_as(tree.sibling_admin), "CARD-000")["licenses"][0]["card"] == "CARD-0003"
