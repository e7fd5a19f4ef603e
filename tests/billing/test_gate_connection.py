"""The gate's one read on PostgreSQL: one round trip per call, prepared, and robust to a dropped
connection (a database restart) without Django's per-request `SELECT 1` health check."""

import time
from datetime import timedelta

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections

from daypass.billing.gate import GateResult, gate_check
from daypass.devices.models import Device
from daypass.settings import database_from_url
from tests import factories
from tests.billing.conftest import NOW, requires_postgresql


@pytest.fixture
def paid_device(owner, model):
    return factories.make_device(customer=owner, model=model, service_until=NOW + timedelta(days=1))


def paid(device):
    return [GateResult(device.number, True, "paid", NOW + timedelta(days=1))]


def terminate_backend(pid: int) -> None:
    """What a database restart does to a kept connection: the server side goes away."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} did not go away")


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@pytest.mark.postgres
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_gate_answers_after_the_database_dropped_its_kept_connection(paid_device):
    assert gate_check(device_numbers=[paid_device.number], now=NOW) == paid(paid_device)
    old_pid = connection.connection.info.backend_pid
    terminate_backend(old_pid)
    connection.health_check_done = False  # a new request on the kept connection

    assert gate_check(device_numbers=[paid_device.number], now=NOW) == paid(paid_device)
    assert connection.connection.info.backend_pid != old_pid


@pytest.mark.postgres
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_gate_skips_the_health_check_round_trip_on_a_kept_connection(paid_device, monkeypatch):
    gate_check(device_numbers=[paid_device.number], now=NOW)  # the connection is open
    checks = []
    wrapper = connections["default"]  # not the proxy: monkeypatch must restore the wrapper
    monkeypatch.setattr(wrapper, "health_check_enabled", True)
    monkeypatch.setattr(wrapper, "is_usable", lambda: checks.append(1) or True)

    connection.health_check_done = False  # a new request on the kept connection
    gate_check(device_numbers=[paid_device.number], now=NOW)
    assert checks == []

    # Any other query of a request still gets Django's check.
    connection.health_check_done = False
    Device.objects.count()
    assert checks == [1]


@pytest.mark.postgres
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_gate_statements_are_prepared_on_their_connection(paid_device, owner, model):
    other = factories.make_device(customer=owner, model=model)
    for _ in range(6):
        gate_check(device_numbers=[paid_device.number], now=NOW)
        gate_check(device_numbers=[paid_device.number, other.number], now=NOW + timedelta(days=2))

    statements = prepared_statements()
    assert any("WHERE number = $1" in statement for statement in statements), statements
    assert any("WHERE number = ANY($1)" in statement for statement in statements), statements


@pytest.mark.postgres
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_prepared_statements_can_be_switched_off_for_a_pooler(paid_device, monkeypatch):
    connection.close()
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    try:
        for _ in range(10):
            assert gate_check(device_numbers=[paid_device.number], now=NOW) == paid(paid_device)
        assert prepared_statements() == []
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("query", "threshold"), [("none", None), ("None", None), ("0", 0), ("5", 5)]
)
def test_database_url_takes_a_prepare_threshold(query, threshold):
    database = database_from_url(f"postgres://u@db/daypass?prepare_threshold={query}")

    assert database["OPTIONS"] == {
        "prepare_threshold": threshold,
        "options": "-c lock_timeout=20s",  # the default lock wait (see core/busy.py)
    }


def test_database_url_refuses_a_prepare_threshold_that_is_not_a_number():
    with pytest.raises(ImproperlyConfigured, match="prepare_threshold"):
        database_from_url("postgres://u@db/daypass?prepare_threshold=often")
