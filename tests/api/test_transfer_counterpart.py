"""Sales records between the selected customer and one counterpart (SPEC 13)."""

import pytest

from tests.api.conftest import error_of
from tests.factories import make_license, make_license_type


@pytest.fixture
def sales(tree, api_as):
    """distributor → dealer (D-1, D-2), dealer → fleet (F-1), dealer → distributor (return R-1)."""
    kind = make_license_type(code="ADAS-365")
    for card in ("D-1", "D-2", "R-1"):
        make_license(customer=tree.distributor, type=kind, card=card)
    make_license(customer=tree.dealer, type=kind, card="F-1")
    distributor, dealer = api_as(tree.distributor_admin), api_as(tree.dealer_admin)
    for client, body in (
        (distributor, {"to": tree.dealer.number, "cards": ["D-1", "D-2", "R-1"]}),
        (dealer, {"to": tree.fleet.number, "cards": ["F-1"]}),
    ):
        assert client.post("/licenses/sell", body).status_code == 200
    assert dealer.post("/licenses/return", {"cards": ["R-1"]}).status_code == 200


def moves(response) -> list[tuple[str, str, str]]:
    assert response.status_code == 200, response.content
    return sorted((t["card"], t["method"], t["to"]) for t in response.json()["items"])


def test_counterpart_a_sub_customer(api_as, tree, sales):
    response = api_as(tree.dealer_viewer).get("/transfers", {"counterpart": tree.fleet.number})

    assert moves(response) == [("F-1", "sell", tree.fleet.number)]


def test_counterpart_the_selected_customers_parent(api_as, tree, sales):
    # The dealer cannot see its distributor, but the records with its supplier are its own.
    response = api_as(tree.dealer_viewer).get(
        "/transfers", {"counterpart": tree.distributor.number}
    )

    assert moves(response) == [
        ("D-1", "sell", tree.dealer.number),
        ("D-2", "sell", tree.dealer.number),
        ("R-1", "return", tree.distributor.number),
        ("R-1", "sell", tree.dealer.number),
    ]


def test_counterpart_for_a_selected_sub_customer(api_as, tree, sales):
    response = api_as(tree.distributor_viewer).get(
        "/transfers", {"customer": tree.fleet.number, "counterpart": tree.dealer.number}
    )

    assert moves(response) == [("F-1", "sell", tree.fleet.number)]


def test_counterpart_with_subtree(api_as, tree, sales):
    response = api_as(tree.distributor_viewer).get(
        "/transfers", {"subtree": "true", "counterpart": tree.fleet.number}
    )

    assert moves(response) == [("F-1", "sell", tree.fleet.number)]


@pytest.mark.parametrize("who", ["platform", "sibling", "nobody"])
def test_counterpart_outside_the_subtree_and_not_the_parent_is_not_found(api_as, tree, sales, who):
    # The platform is the dealer's grandparent: not its parent, not in its subtree.
    number = {"platform": tree.platform.number, "sibling": tree.sibling.number}.get(who, "C999999")

    response = api_as(tree.dealer_viewer).get("/transfers", {"counterpart": number})

    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "not_found"
    assert number in error["message"]
