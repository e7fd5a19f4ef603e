"""SPEC 9: JSON types are strict. A wrong type is a 422 `validation_error` and changes nothing."""

import pydantic
import pytest
from ninja import Schema

from daypass.api import api
from daypass.licenses.models import License, Transfer
from tests.api.conftest import error_of
from tests.factories import make_device_model, make_license, make_license_type


@pytest.fixture
def license_type(db):
    return make_license_type(code="ADAS-365", days=365, models=[make_device_model("MX-C6")])


@pytest.mark.parametrize("quantity", [True, "1", 1.0])
def test_a_sale_by_quantity_takes_only_a_number(api_as, tree, license_type, quantity):
    make_license(customer=tree.dealer, type=license_type, card="A1")

    response = api_as(tree.dealer_operator).post(
        "/licenses/sell", {"to": tree.fleet.number, "type": "ADAS-365", "quantity": quantity}
    )

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    assert License.objects.get(card="A1").customer == tree.dealer
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("days", ["5", True, 5.0])
def test_a_top_up_takes_only_a_number(api_as, tree, license_type, days):
    make_license(customer=tree.platform, type=license_type, card="P1")

    response = api_as(tree.platform_admin).post("/licenses/P1/top-up", {"days": days})

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    fresh = License.objects.get(card="P1")
    assert (fresh.total_days, fresh.available_days) == (365, 365)


def test_issue_refuses_a_string_quantity(api_as, tree, license_type):
    response = api_as(tree.platform_admin).post(
        "/licenses/issue", {"type": "ADAS-365", "quantity": "3"}
    )

    assert response.status_code == 422
    assert not License.objects.exists()


def test_a_number_is_not_a_string(api_as, tree):
    response = api_as(tree.dealer_admin).post(
        f"/customers/{tree.dealer.number}/accounts",
        {"username": 12345678, "password": "correct-horse-battery", "role": "viewer"},
    )

    assert response.status_code == 422


def test_the_gate_refuses_a_number_for_a_device(api_as, tree):
    response = api_as(tree.platform_admin).post("/gate/reports", {"reports": [{"device": 1}]})

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_the_right_types_still_work(api_as, tree, license_type):
    make_license(customer=tree.platform, type=license_type, card="P1")

    response = api_as(tree.platform_admin).post("/licenses/P1/top-up", {"days": 5})

    assert response.status_code == 200
    assert response.json()["available_days"] == 370


def _schemas_in(annotation) -> list[type]:
    """The pydantic models an annotation names, however nested (list[X], X | None, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        found = [annotation]
        for field in annotation.model_fields.values():
            found += _schemas_in(field.annotation)
        return found
    found = []
    for argument in getattr(annotation, "__args__", ()) or ():
        found += _schemas_in(argument)
    return found


def test_every_request_body_is_strict():
    """One rule for every operation, including those added later: its body schema (and every
    schema nested in it) validates strictly, as `daypass.core.schemas.InputSchema` does."""
    loose = set()
    bodies = 0
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ not in ("body", "form"):
                        continue
                    for field in model.model_fields.values():
                        for schema in _schemas_in(field.annotation):
                            bodies += 1
                            if not schema.model_config.get("strict"):
                                loose.add(f"{schema.__module__}.{schema.__qualname__}")
    assert bodies > 10
    assert loose == set(), "request bodies must derive from daypass.core.schemas.InputSchema"


def test_input_schema_is_a_ninja_schema():
    from daypass.core.schemas import InputSchema

    assert issubclass(InputSchema, Schema)
    assert InputSchema.model_config["strict"] is True


@pytest.mark.parametrize("body", ["[]", '"x"', "5", "null", "true"])
def test_a_body_that_is_not_an_object_is_422(api_as, tree, body):
    # Found by schemathesis: `[]` read as "no fields given" was accepted by a PATCH.
    response = api_as(tree.dealer_admin).patch(
        f"/customers/{tree.dealer.number}/accounts/{tree.dealer_viewer.username}", body
    )

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
