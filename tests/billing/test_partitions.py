"""SPEC 11 on PostgreSQL: the deductions table is partitioned by month (billing/0006,
billing.partitions), and everything that reads or writes deductions still works on it."""

import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction

from daypass.billing.archive import deductions_archive
from daypass.billing.deduction import device_charge
from daypass.billing.ledger_audit import ledger_audit
from daypass.billing.models import Deduction
from daypass.billing.partitions import (
    DEFAULT_PARTITION,
    MONTHS_AHEAD,
    deduction_partitions_ensure,
    existing_months,
    wanted_months,
)
from daypass.billing.sweep import sweep_run
from tests import factories
from tests.billing.conftest import DAY, HOUR, NOW, bound_license

requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="partitions are PostgreSQL's; SQLite keeps one deductions table",
)

FAR = datetime(2031, 1, 15, tzinfo=UTC)  # beyond every month the test database was given


def partition_of(deduction_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM billing_deduction WHERE id = %s", [deduction_id]
        )
        return cursor.fetchone()[0]


def default_rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")
        return cursor.fetchone()[0]


def drop_partitions(names):
    """Undo what a transactional test created (the flush empties the tables, not this)."""
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def charged_device(owner, model, *, at):
    device = factories.make_device(customer=owner, model=model)
    bound_license(device=device, activated_at=None, bound_at=at - DAY)
    return device, device_charge(device=device, now=at, trigger="report")


def archive_november(owner, model, tmp_path):
    """Forty daily charges from November 1 into December, archived before December 1,
    audited; then a remaining row deleted is caught by the full audit."""
    deduction_partitions_ensure(now=NOW)
    device = factories.make_device(customer=owner, model=model)
    license = bound_license(device=device, activated_at=None, bound_at=NOW - DAY)
    device_charge(device=device, now=NOW, trigger="report")
    for day in range(1, 40):  # November into December
        sweep_run(now=NOW + day * DAY)
    december = datetime(2026, 12, 1, tzinfo=UTC)
    assert partition_of(Deduction.objects.order_by("at").last().pk) == (
        "billing_deduction_y2026m12"
    )

    result = deductions_archive(before=december, directory=tmp_path, now=NOW + 60 * DAY)

    assert result.rows == 30
    assert not Deduction.objects.filter(at__lt=december).exists()
    assert Deduction.objects.filter(license=license).count() == 10
    assert ledger_audit() == []
    assert ledger_audit(full=True) == []
    remaining = Deduction.objects.filter(license=license).order_by("at").first()
    remaining.delete()
    assert [p.kind for p in ledger_audit(full=True)]


def fields_of(deduction):
    """A deduction's stored values but its id (to write a copy)."""
    return {
        f.attname: getattr(deduction, f.attname)
        for f in Deduction._meta.concrete_fields
        if f.name != "id"
    }


def test_a_second_success_for_the_same_window_is_refused_by_the_database(owner, model):
    """The unique window index (on PostgreSQL: with `at`, the partition key) still holds."""
    device, first = charged_device(owner, model, at=NOW)
    fields = fields_of(first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deduction.objects.create(**fields)
    fields["window_start"] = fields["at"] = NOW + HOUR  # another window is allowed
    Deduction.objects.create(**fields)


@requires_postgresql
class TestPartitions:
    def test_rows_land_in_their_months_partition(self, owner, model):
        deduction_partitions_ensure(now=NOW)

        _, november = charged_device(owner, model, at=NOW)
        _, december = charged_device(owner, model, at=datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
        _, january = charged_device(owner, model, at=datetime(2027, 1, 1, tzinfo=UTC))

        assert partition_of(november.pk) == "billing_deduction_y2026m11"
        assert partition_of(december.pk) == "billing_deduction_y2026m12"
        assert partition_of(january.pk) == "billing_deduction_y2027m01"
        assert default_rows() == 0

    def test_migrate_made_this_month_and_the_months_ahead(self, db):
        assert set(wanted_months(now=datetime.now(UTC))) <= existing_months(connection)

    def test_the_job_makes_the_months_ahead_and_is_idempotent(self, db):
        created = deduction_partitions_ensure(now=FAR)

        assert created == [
            f"billing_deduction_y2031m{month:02d}" for month in range(1, MONTHS_AHEAD + 2)
        ]
        assert deduction_partitions_ensure(now=FAR) == []
        assert {datetime(2031, m, 1, tzinfo=UTC) for m in range(1, 5)} <= existing_months(
            connection
        )

    def test_a_row_beyond_the_months_goes_to_default_and_the_job_moves_it(self, owner, model):
        _, stranded = charged_device(owner, model, at=FAR)
        assert partition_of(stranded.pk) == DEFAULT_PARTITION

        created = deduction_partitions_ensure(now=FAR)

        assert "billing_deduction_y2031m01" in created
        assert partition_of(stranded.pk) == "billing_deduction_y2031m01"
        assert default_rows() == 0
        assert Deduction.objects.get(pk=stranded.pk).at == FAR
        assert ledger_audit(full=True) == []

    def test_a_stranded_month_outside_the_months_ahead_gets_its_partition(self, owner, model):
        """A row far in the past (a restore, an import) is moved into its own month."""
        _, old = charged_device(owner, model, at=datetime(2020, 2, 29, 12, tzinfo=UTC))

        created = deduction_partitions_ensure(now=NOW)

        assert "billing_deduction_y2020m02" in created
        assert partition_of(old.pk) == "billing_deduction_y2020m02"

    def test_the_model_saves_deletes_and_bulk_creates_across_partitions(self, owner, model):
        deduction_partitions_ensure(now=NOW)
        device, first = charged_device(owner, model, at=NOW)
        later = NOW + 31 * DAY
        fields = fields_of(first)
        made = Deduction.objects.bulk_create(
            [
                Deduction(**{**fields, "at": later, "window_start": later}),
                Deduction(**{**fields, "at": later + DAY, "window_start": later + DAY}),
            ]
        )
        assert all(d.pk for d in made)
        assert partition_of(made[0].pk) == "billing_deduction_y2026m12"

        made[0].reason = "edited"
        made[0].save()
        assert Deduction.objects.get(pk=made[0].pk).reason == "edited"
        made[1].delete()
        assert not Deduction.objects.filter(pk=made[1].pk).exists()
        assert Deduction.objects.filter(device=device).count() == 2

    def test_archive_and_audit_across_partitions(self, owner, model, tmp_path):
        """Rows written in the archive's own transaction cannot have their month dropped
        (pending foreign-key checks): the archive deletes them instead."""
        archive_november(owner, model, tmp_path)
        assert datetime(2026, 11, 1, tzinfo=UTC) in existing_months(connection)


@requires_postgresql
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestPartitionsConcurrently:
    def test_two_processes_running_the_job_at_once(self, owner, model):
        _, stranded = charged_device(owner, model, at=datetime(2031, 6, 2, tzinfo=UTC))
        barrier = threading.Barrier(2)
        results, errors = [], []

        def run():
            try:
                barrier.wait(timeout=30)
                results.append(deduction_partitions_ensure(now=FAR))
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(2)]
        expected = [f"billing_deduction_y2031m{month:02d}" for month in (1, 2, 3, 4, 6)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not errors, errors
            # One run made every month (and moved the stranded row), the other found them made.
            assert sorted(results, key=len) == [[], expected]
            assert partition_of(stranded.pk) == "billing_deduction_y2031m06"
            assert default_rows() == 0
        finally:
            Deduction.objects.filter(pk=stranded.pk).delete()
            drop_partitions(expected)

    def test_archiving_whole_months_drops_their_partitions(self, owner, model, tmp_path):
        archive_november(owner, model, tmp_path)
        # November lay wholly before the date: its partition was dropped, not emptied.
        assert datetime(2026, 11, 1, tzinfo=UTC) not in existing_months(connection)

    def test_the_migration_converts_a_table_with_rows(self, owner, model):
        _, before = charged_device(owner, model, at=NOW)
        call_command("migrate", "billing", "0005_deduction_days", verbosity=0)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'billing_deduction'")
                assert cursor.fetchone()[0] == "r"
            device, plain = charged_device(owner, model, at=NOW + DAY)
        finally:
            call_command("migrate", "billing", verbosity=0)

        with connection.cursor() as cursor:
            cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'billing_deduction'")
            assert cursor.fetchone()[0] == "p"
            cursor.execute(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index"
                " WHERE indrelid = 'billing_deduction'::regclass AND indisunique"
                " ORDER BY 1"
            )
            unique = [row[0] for row in cursor.fetchall()]
        assert "(id, at)" in unique[0] and "(device_id, window_start, at)" in unique[1]
        assert partition_of(before.pk) == partition_of(plain.pk) == "billing_deduction_y2026m11"
        _, after = charged_device(owner, model, at=NOW + 2 * DAY)
        assert after.pk > plain.pk > before.pk  # the sequence went on where the identity was
        assert ledger_audit(full=True) == []
