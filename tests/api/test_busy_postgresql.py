"""PostgreSQL: a write that waits for a row lock past `lock_timeout` answers 503 `busy`.

(The SQLite twin, against a live server, is tests/core/test_busy_server.py.)
"""

import threading

import pytest
from django.db import connection, connections, transaction

from daypass.licenses.models import License
from tests.api.conftest import error_of
from tests.factories import make_license

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def hold_row_lock(pk: int, locked: threading.Event, release: threading.Event) -> None:
    """Another transaction holds the license's row lock (as a long batch would)."""
    try:
        with transaction.atomic():
            License.objects.select_for_update().filter(pk=pk).first()
            locked.set()
            release.wait(30)
    finally:
        connections.close_all()


def test_a_write_past_lock_timeout_answers_503_busy_changes_nothing_and_succeeds_later(
    api_as, tree
):
    license = make_license(customer=tree.dealer, card="BUSY1")
    client = api_as(tree.dealer_admin)
    client.get("/me")  # the token's first use is recorded before the lock is taken
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_row_lock, args=(license.pk, locked, release))
    holder.start()
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        refused = client.post("/licenses/BUSY1/lock", headers={"Idempotency-Key": "k1"})
    finally:
        release.set()
        holder.join(30)

    assert refused.status_code == 503
    assert error_of(refused)["code"] == "busy"
    assert int(refused["Retry-After"]) >= 1
    assert License.objects.get(pk=license.pk).locked is False
    retried = client.post("/licenses/BUSY1/lock", headers={"Idempotency-Key": "k1"})
    assert retried.status_code == 200, retried.content
    assert retried.json()["locked"] is True
