"""Card and device numbers: whole, `ABC*` prefix, `*1234` last digits (SPEC 13)."""

import pytest
from django.db import connection

from daypass.devices.models import Device
from daypass.licenses.models import License
from tests.api.conftest import error_of
from tests.factories import NOW, make_device, make_license, make_license_type


@pytest.fixture
def numbered(tree):
    kind = make_license_type(code="ADAS-365")
    model = kind.device_models.get()
    devices = {
        number: make_device(customer=tree.dealer, model=model, number=number)
        for number in ("860001234", "860005678", "861001234", "A_B%1")
    }
    make_license(customer=tree.dealer, type=kind, card="ABC-001")
    make_license(
        customer=tree.dealer, type=kind, card="ABC-002", device=devices["860001234"], bound_at=NOW
    )
    make_license(customer=tree.dealer, type=kind, card="abc-003")
    make_license(
        customer=tree.dealer, type=kind, card="XYZ-001", device=devices["861001234"], bound_at=NOW
    )
    make_license(customer=tree.dealer, type=kind, card="A_B%-9")
    make_license(customer=tree.sibling, type=kind, card="ABC-999")
    make_device(customer=tree.sibling, model=model, number="869991234")
    return kind


def listed(client, path, key, **params) -> list[str]:
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return [item[key] for item in response.json()["items"]]


def test_card_prefix_is_case_sensitive_and_scoped(api_as, tree, numbered):
    client = api_as(tree.dealer_viewer)

    assert listed(client, "/licenses", "card", card="ABC*") == ["ABC-001", "ABC-002"]
    assert listed(client, "/licenses", "card", card="abc*") == ["abc-003"]


def test_card_whole_number_and_suffix(api_as, tree, numbered):
    client = api_as(tree.dealer_viewer)

    assert listed(client, "/licenses", "card", card="ABC-001") == ["ABC-001"]
    assert listed(client, "/licenses", "card", card="ABC") == []
    assert listed(client, "/licenses", "card", card="*-001") == ["ABC-001", "XYZ-001"]


def test_like_metacharacters_are_matched_literally(api_as, tree, numbered):
    client = api_as(tree.dealer_viewer)

    assert listed(client, "/licenses", "card", card="A_B%*") == ["A_B%-9"]
    assert listed(client, "/licenses", "card", card="A%*") == []
    assert listed(client, "/devices", "number", number="*B%1") == ["A_B%1"]


def test_device_number_prefix_and_last_digits(api_as, tree, numbered):
    client = api_as(tree.dealer_viewer)

    assert listed(client, "/devices", "number", number="8600*") == ["860001234", "860005678"]
    assert listed(client, "/devices", "number", number="*1234") == ["860001234", "861001234"]
    assert listed(client, "/devices", "number", number="860005678") == ["860005678"]


def test_license_device_filter_takes_patterns(api_as, tree, numbered):
    client = api_as(tree.dealer_viewer)

    assert listed(client, "/licenses", "card", device="*1234") == ["ABC-002", "XYZ-001"]
    assert listed(client, "/licenses", "card", device="861*") == ["XYZ-001"]


def test_patterns_with_subtree_stay_inside_it(api_as, tree, numbered):
    client = api_as(tree.distributor_viewer)

    found = listed(client, "/devices", "number", number="*1234", subtree="true")

    assert found == ["860001234", "861001234"]  # not the sibling's 869991234


@pytest.mark.parametrize("value", ["*", "**", "A*B", "*12*", "A**"])
@pytest.mark.parametrize(
    ("path", "field"), [("/licenses", "card"), ("/devices", "number"), ("/licenses", "device")]
)
def test_other_wildcards_are_a_validation_error(api_as, tree, path, field, value):
    response = api_as(tree.dealer_viewer).get(path, {field: value})

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert field in error["message"]


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the pattern indexes exist on PostgreSQL only (SQLite uses GLOB on the unique index)",
)
def test_patterns_are_answered_from_the_pattern_indexes(tree, numbered):
    from daypass.core.matching import number_pattern

    suffix = number_pattern("*1234", field="number").q("number")
    prefix = number_pattern("860*", field="number").q("number")
    card = number_pattern("ABC*", field="card").q("card")

    assert "device_number_reversed" in plan_of(Device.objects.filter(suffix).values("pk"))
    assert "device_number_pattern" in plan_of(Device.objects.filter(prefix).values("pk"))
    # Cards are in byte order (collation "C", licenses.fields): the unique index answers LIKE.
    card_plan = plan_of(License.objects.filter(card).values("pk"))
    assert "license_card_unique" in card_plan
    assert "Index Cond" in card_plan and "~>=~" not in card_plan
