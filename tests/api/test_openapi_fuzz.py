"""Schemathesis against the OpenAPI document: every operation, with a valid token and with none.

Stateless and bounded (a few valid and a few invalid examples per operation) so it runs in
seconds. Asserts that no
answer is a 5xx and that every answer conforms to the document (status code, content type and
body schema).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import token_of
from tests.factories import make_device, make_device_model, make_license, make_license_type

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 8
ROUTES_BESIDE_CARDS = {"stats", "summary", "issue", "sell", "return"}


def exercise(operation, headers: dict[str, str], statuses: list[int], mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if (case.path_parameters or {}).get("card") in ROUTES_BESIDE_CARDS:
            return  # /licenses/stats etc. are their own routes; no card is ever named so
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("authenticated", [True, False], ids=["token", "no-token"])
def test_every_operation_conforms_and_never_fails(tree, authenticated):
    # A little data so that lookups sometimes find something.
    model = make_device_model("MX-C6")
    license_type = make_license_type(code="ADAS-365", models=[model])
    device = make_device(customer=tree.platform, model=model, number="D1")
    make_license(
        customer=tree.platform,
        type=license_type,
        card="A1",
        device=device,
        bound_at=device.registered_at,
    )
    make_license(customer=tree.platform, type=license_type, card="A2")
    headers = {"Authorization": f"Bearer {token_of(tree.platform_admin)}"} if authenticated else {}

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    # Revoking the token in use is exercised last, so it does not end the run's authentication.
    operations.sort(key=lambda operation: operation.method.upper() == "DELETE")
    assert len(operations) >= 27
    statuses: list[int] = []
    for operation in operations:
        # Valid input, then input that breaks the document (wrong types, missing fields, ...).
        exercise(operation, headers, statuses, GenerationMode.POSITIVE)
        try:
            exercise(operation, headers, statuses, GenerationMode.NEGATIVE)
        except Unsatisfiable:
            pass  # nothing to break: the operation takes no input (GET /health, /me, ...)
    # The run really reached the API: successes with a token, only refusals without one.
    if authenticated:
        assert sum(200 <= status < 300 for status in statuses) >= len(operations)
    else:
        assert {status for status in statuses if status < 300} <= {200, 201}
        assert statuses.count(401) > len(statuses) / 2
