"""The error envelope everywhere under /api/v1: never HTML, never a 500 for bad input."""

import pytest

from tests.api.conftest import error_of


def test_health_needs_no_token_and_no_database(api_as, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_as(None).get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/nope", "/licenses/X/nope", "/", ""])
def test_unknown_route_is_a_json_404(api_as, tree, path):
    response = api_as(tree.dealer_admin).get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_a_json_405_with_allow(api_as, tree):
    response = api_as(tree.dealer_admin).delete("/licenses")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_malformed_json_is_a_400(api_as, tree):
    response = api_as(tree.platform_admin).post("/device-models", b"{not json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_body_of_the_wrong_shape_is_a_422(api_as, tree):
    response = api_as(tree.platform_admin).post("/device-models", [1, 2])
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_missing_field_is_a_422_naming_it(api_as, tree):
    response = api_as(tree.platform_admin).post("/device-models", {"name": "x"})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "code" in error["message"]


def test_oversized_body_is_a_413(api_as, tree, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"reports": [{"device": f"{i:015d}"} for i in range(100)]}
    response = api_as(tree.platform_admin).post("/gate/reports", body)
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


@pytest.mark.parametrize("page_size", [0, 501, "x"])
def test_page_size_outside_1_to_500_is_a_422(api_as, tree, page_size):
    response = api_as(tree.dealer_admin).get("/licenses", {"page_size": page_size})
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_page_below_1_is_a_422(api_as, tree):
    response = api_as(tree.dealer_admin).get("/licenses", {"page": 0})
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


@pytest.mark.parametrize(
    "params",
    [
        {"status": "sleeping"},
        {"locked": "maybe"},
        {"days_min": "-1"},
        {"activated_from": "yesterday"},
        {"order": "price"},
    ],
)
def test_invalid_filter_is_a_422(api_as, tree, params):
    response = api_as(tree.dealer_admin).get("/licenses", params)
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_unexpected_error_is_a_json_500_without_traceback(api_as, tree, monkeypatch):
    import daypass.licenses.api as licenses_api

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(licenses_api, "license_stats", broken)
    response = api_as(tree.dealer_admin).get("/licenses/stats")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error"
    assert "a bug" not in error["message"]


def test_openapi_document_is_served(api_as):
    response = api_as(None).get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert "/api/v1/gate/reports" in document["paths"]
    assert "/api/v1/licenses/{card}" in document["paths"]


def test_docs_page_uses_no_cdn(api_as):
    response = api_as(None).get("/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert "swagger-ui-bundle.js" in html


def test_the_project_urls_serve_the_api_and_its_json_404(api_as, settings):
    settings.ROOT_URLCONF = "daypass.urls"
    assert api_as(None).get("/health").json() == {"status": "ok"}
    response = api_as(None).get("/no/such/endpoint")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
