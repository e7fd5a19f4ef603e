"""Idempotency-Key on state-changing POSTs: replay the first answer, refuse a different body."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections

from daypass.core.models import IdempotencyRecord
from daypass.licenses.models import License, Transfer
from tests.api.conftest import ApiClient, error_of, token_of
from tests.factories import NOW, make_device_model, make_license, make_license_type


@pytest.fixture
def license_type(db):
    return make_license_type(code="ADAS-365", models=[make_device_model("MX-C6")])


def test_repeat_with_the_same_key_replays_the_first_answer(api_as, tree, license_type):
    client = api_as(tree.platform_admin)
    body = {"type": "ADAS-365", "quantity": 2}
    first = client.post("/licenses/issue", body, headers={"Idempotency-Key": "k1"})
    second = client.post("/licenses/issue", body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert License.objects.count() == 2


def test_errors_are_replayed_too(api_as, tree):
    make_license(customer=tree.dealer, card="A1", locked=True)
    client = api_as(tree.dealer_admin)
    first = client.post("/licenses/A1/lock", headers={"Idempotency-Key": "k"})
    assert first.status_code == 409
    # Unlocked meanwhile: the repeat still gets the first answer and changes nothing.
    License.objects.filter(card="A1").update(locked=False)
    second = client.post("/licenses/A1/lock", headers={"Idempotency-Key": "k"})
    assert second.status_code == 409
    assert second.json() == first.json()
    assert License.objects.get(card="A1").locked is False


def test_same_key_with_another_body_is_409(api_as, tree, license_type):
    client = api_as(tree.platform_admin)
    client.post("/licenses/issue", {"type": "ADAS-365", "quantity": 1}, {"Idempotency-Key": "k"})
    response = client.post(
        "/licenses/issue", {"type": "ADAS-365", "quantity": 2}, {"Idempotency-Key": "k"}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert License.objects.count() == 1


def test_same_key_on_another_path_is_409(api_as, tree):
    make_license(customer=tree.dealer, card="A1")
    client = api_as(tree.dealer_admin)
    client.post("/licenses/A1/lock", headers={"Idempotency-Key": "k"})
    response = client.post("/licenses/A1/unlock", headers={"Idempotency-Key": "k"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert License.objects.get(card="A1").locked is True


def test_keys_belong_to_one_account(api_as, tree):
    make_license(customer=tree.dealer, card="A1")
    make_license(customer=tree.dealer, card="A2")
    api_as(tree.dealer_admin).post(
        "/licenses/sell", {"to": tree.fleet.number, "cards": ["A1"]}, {"Idempotency-Key": "k"}
    )
    other = api_as(tree.dealer_operator).post(
        "/licenses/sell", {"to": tree.fleet.number, "cards": ["A2"]}, {"Idempotency-Key": "k"}
    )
    assert other.status_code == 200
    assert Transfer.objects.count() == 2


def test_keys_expire_after_24_hours(api_as, tree, license_type):
    client = api_as(tree.platform_admin)
    body = {"type": "ADAS-365", "quantity": 1}
    client.post("/licenses/issue", body, {"Idempotency-Key": "k"})
    IdempotencyRecord.objects.update(created_at=NOW - timedelta(hours=24, seconds=1))
    with mock.patch("daypass.core.clock.now", return_value=NOW):
        again = client.post("/licenses/issue", body, {"Idempotency-Key": "k"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert License.objects.count() == 2


def test_without_a_key_every_call_runs(api_as, tree, license_type):
    client = api_as(tree.platform_admin)
    client.post("/licenses/issue", {"type": "ADAS-365", "quantity": 1})
    client.post("/licenses/issue", {"type": "ADAS-365", "quantity": 1})
    assert License.objects.count() == 2


def test_overlong_key_is_422(api_as, tree, license_type):
    response = api_as(tree.platform_admin).post(
        "/licenses/issue", {"type": "ADAS-365", "quantity": 1}, {"Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 422
    assert License.objects.count() == 0


def test_a_key_without_a_token_is_still_401(api_as, tree):
    response = api_as(None).post("/licenses/A1/lock", headers={"Idempotency-Key": "k"})
    assert response.status_code == 401


def test_gate_accepts_a_key(api_as, tree):
    client = api_as(tree.platform_admin)
    body = {"reports": [{"device": "X"}]}
    first = client.post("/gate/reports", body, {"Idempotency-Key": "g"})
    second = client.post("/gate/reports", body, {"Idempotency-Key": "g"})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_run_once(tree, license_type):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers, so it cannot show the race")
    token = token_of(tree.platform_admin)
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def issue():
        try:
            barrier.wait()
            response = ApiClient(token).post(
                "/licenses/issue", {"type": "ADAS-365", "quantity": 3}, {"Idempotency-Key": "race"}
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert License.objects.count() == 3
    assert sorted(statuses) == [201] * 8
