"""Event snapshots are the API's shapes, value for value."""

from __future__ import annotations

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from daypass.events.snapshots import (
    customer_snapshot,
    device_snapshot,
    device_snapshots,
    license_snapshot,
    license_snapshots,
)
from tests import factories
from tests.api.conftest import ApiClient, token_of

NOW = factories.NOW


@pytest.fixture
def api(tree, settings):
    settings.ROOT_URLCONF = "tests.api.urls"
    return ApiClient(token_of(tree.platform_admin))


def as_api_json(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@pytest.fixture
def bound(tree):
    model = factories.make_device_model("MX-SNAP")
    device = factories.make_device(customer=tree.dealer, model=model, number="860000000000001")
    license = factories.make_license(
        customer=tree.dealer,
        type=factories.make_license_type(models=[model, factories.make_device_model("MX-B")]),
        device=device,
        bound_at=NOW,
        activated_at=NOW,
        available_days=29,
    )
    return license, device


def test_license_snapshot_is_what_the_api_answers(api, bound):
    license, _ = bound
    assert as_api_json(license_snapshot(license)) == api.get(f"/licenses/{license.card}").json()
    assert as_api_json(license_snapshots([license.pk])[license.pk][1]) == as_api_json(
        license_snapshot(license)
    )


def test_device_snapshot_is_what_the_api_answers(api, bound):
    _, device = bound
    listed = api.get("/devices", {"customer": device.customer.number}).json()["items"]
    assert as_api_json(device_snapshot(device)) == listed[0]
    assert as_api_json(device_snapshots([device.pk])[device.pk][1]) == listed[0]


def test_customer_snapshot_is_what_the_api_answers(api, tree):
    listed = {c["number"]: c for c in api.get("/customers").json()["items"]}
    assert as_api_json(customer_snapshot(tree.dealer)) == listed[tree.dealer.number]


def test_many_snapshots_take_a_fixed_number_of_queries(bound, django_assert_max_num_queries):
    license, device = bound
    with django_assert_max_num_queries(4):
        license_snapshots([license.pk])
    with django_assert_max_num_queries(3):
        device_snapshots([device.pk])
