"""The login throttle counts each attempt atomically before the password is checked."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections
from django.test import Client

from daypass.core.models import LoginCounter
from daypass.core.throttle import (
    ADDRESS_FAILURE_LIMIT,
    LOGIN_FAILURE_LIMIT,
    LoginThrottled,
    login_check,
)
from daypass.customers.models import Account
from tests import factories

NOW = factories.NOW


@pytest.mark.django_db
def test_the_limit_is_exact_and_counted_before_the_check(db):
    checks = []

    def wrong():
        checks.append(1)
        return None

    refused = 0
    for _ in range(LOGIN_FAILURE_LIMIT + 7):
        try:
            login_check(username="admin", address="10.1.1.1", now=NOW, check=wrong)
        except LoginThrottled as throttled:
            refused += 1
            assert throttled.retry_after == 300

    assert len(checks) == LOGIN_FAILURE_LIMIT
    assert refused == 7


@pytest.mark.django_db
def test_the_address_limit_counts_every_username(db):
    checks = []
    for i in range(ADDRESS_FAILURE_LIMIT + 3):
        try:
            login_check(
                username=f"user{i}", address="10.1.1.2", now=NOW, check=lambda: checks.append(1)
            )
        except LoginThrottled:
            pass

    assert len(checks) == ADDRESS_FAILURE_LIMIT


@pytest.mark.django_db
def test_a_username_with_a_nul_byte_is_counted_like_any_other(db):
    with pytest.raises(LoginThrottled):
        for _ in range(LOGIN_FAILURE_LIMIT + 1):
            login_check(username="ad\x00min", address=None, now=NOW, check=lambda: None)


@pytest.mark.django_db
def test_stale_counters_are_removed(db):
    login_check(username="a", address="10.1.1.3", now=NOW, check=lambda: None)
    assert LoginCounter.objects.count() == 2

    login_check(username="b", address="10.1.1.4", now=NOW + timedelta(hours=1), check=lambda: None)

    assert LoginCounter.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so the race cannot happen there",
)
@pytest.mark.django_db(transaction=True)
def test_40_concurrent_wrong_attempts_get_exactly_the_limit_of_password_checks():
    account = factories.make_account(factories.make_customer(name="Platform"), "admin")
    checks = []
    guard = threading.Lock()
    real_check = Account.check_password

    def counted_check(self, raw_password):
        with guard:
            checks.append(raw_password)
        return real_check(self, raw_password)

    barrier = threading.Barrier(40)
    statuses = [None] * 40

    def attempt(index):
        try:
            barrier.wait()
            response = Client().post(
                "/api/v1/tokens",
                {"username": account.username, "password": f"wrong-{index}"},
                content_type="application/json",
                REMOTE_ADDR="198.51.100.1",
            )
            statuses[index] = response.status_code
        finally:
            connections.close_all()

    with mock.patch.object(Account, "check_password", counted_check):
        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert len(checks) == LOGIN_FAILURE_LIMIT
    assert sorted(statuses) == [401] * LOGIN_FAILURE_LIMIT + [429] * (40 - LOGIN_FAILURE_LIMIT)
