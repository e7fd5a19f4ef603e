"""SPEC 11: checkpoints make `daypass audit` incremental, `--full` re-proves everything, and
`daypass archive --before DATE` moves old deductions to a compressed CSV file while the audit
still proves every ledger."""

import csv
import gzip
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from daypass.billing.archive import LedgerNotClean, deductions_archive
from daypass.billing.deduction import device_charge
from daypass.billing.ledger_audit import (
    ledger_audit,
    ledger_checkpoint,
    ledger_checkpoint_advance,
)
from daypass.billing.models import Deduction, DeviceCheckpoint, LicenseCheckpoint
from daypass.billing.sweep import sweep_run
from daypass.core.errors import DaypassError
from daypass.licenses.models import License
from tests import factories
from tests.billing.conftest import DAY, HOUR, NOW, bound_license

LATER = NOW + 30 * DAY  # "now" for the checkpoint: every charge below is older than a day


@pytest.fixture
def history(owner, model):
    """One license charged on five consecutive days (NOW .. NOW + 4 days), ledger clean."""
    device = factories.make_device(customer=owner, model=model)
    license = bound_license(device=device, activated_at=None)
    device_charge(device=device, now=NOW, trigger="report")
    for day in range(1, 5):
        sweep_run(now=NOW + day * DAY)
    license.refresh_from_db()
    assert license.total_days - license.available_days == 5
    return license, device


def kinds(problems):
    return sorted(p.kind for p in problems)


def test_the_checkpoint_sums_what_it_covers(history):
    license, device = history

    through = ledger_checkpoint_advance(now=LATER, through=NOW + 2 * DAY + HOUR)

    assert through == NOW + 2 * DAY + HOUR
    assert LicenseCheckpoint.objects.get(license=license).days == 3
    assert DeviceCheckpoint.objects.get(device=device).window_end == NOW + 3 * DAY
    assert ledger_audit() == []
    assert ledger_audit(full=True) == []


def test_the_checkpoint_never_comes_closer_than_a_day_nor_goes_back(history):
    assert ledger_checkpoint_advance(now=NOW + 4 * DAY) == NOW + 3 * DAY
    assert ledger_checkpoint_advance(now=NOW + 4 * DAY, through=NOW) == NOW + 3 * DAY
    assert ledger_checkpoint().through == NOW + 3 * DAY


def test_advancing_again_adds_only_the_new_deductions(history):
    license, _ = history
    ledger_checkpoint_advance(now=LATER, through=NOW + DAY + HOUR)
    ledger_checkpoint_advance(now=LATER, through=NOW + 3 * DAY + HOUR)

    assert LicenseCheckpoint.objects.get(license=license).days == 4
    assert ledger_audit() == []
    assert ledger_audit(full=True) == []


def test_the_incremental_audit_catches_a_license_tampered_after_a_checkpoint(history):
    license, _ = history
    ledger_checkpoint_advance(now=LATER)
    License.objects.filter(pk=license.pk).update(available_days=F("available_days") + 1)

    assert kinds(ledger_audit()) == ["license_deductions_mismatch"]
    assert "license_deductions_mismatch" in kinds(ledger_audit(full=True))


def test_the_incremental_audit_catches_a_new_deduction_tampered_after_a_checkpoint(history):
    license, _ = history
    ledger_checkpoint_advance(now=LATER, through=NOW + 2 * DAY + HOUR)
    newest = Deduction.objects.filter(license=license).order_by("-at").first()
    Deduction.objects.filter(pk=newest.pk).update(days=2)

    assert kinds(ledger_audit()) == ["license_deductions_mismatch"]


def test_a_row_tampered_behind_the_checkpoint_is_caught_by_the_full_audit(history):
    license, _ = history
    ledger_checkpoint_advance(now=LATER)
    oldest = Deduction.objects.filter(license=license).order_by("at").first()
    Deduction.objects.filter(pk=oldest.pk).update(days=2)

    assert ledger_audit() == []  # the incremental audit trusts the checkpoint
    assert kinds(ledger_audit(full=True)) == [
        "license_checkpoint_mismatch",
        "license_deductions_mismatch",
    ]


def test_a_window_overlapping_one_behind_the_checkpoint_is_caught(history):
    license, device = history
    ledger_checkpoint_advance(now=LATER, through=NOW + 4 * DAY - HOUR)
    # The last window (NOW + 4 days, after the checkpoint) is moved to start inside the one
    # before the checkpoint (NOW + 3 days .. NOW + 4 days).
    newest = Deduction.objects.filter(license=license).order_by("-at").first()
    Deduction.objects.filter(pk=newest.pk).update(window_start=NOW + 3 * DAY + HOUR)

    assert kinds(ledger_audit()) == ["device_windows_overlap"]


def test_a_tampered_device_checkpoint_is_caught_by_the_full_audit(history):
    _, device = history
    ledger_checkpoint_advance(now=LATER)
    DeviceCheckpoint.objects.filter(device=device).update(window_end=NOW)

    assert kinds(ledger_audit(full=True)) == ["device_checkpoint_mismatch"]


# --- archive -------------------------------------------------------------------------------------


def archived_rows(path):
    with gzip.open(path, "rt", newline="") as stream:
        return list(csv.DictReader(stream))


def test_archive_writes_the_old_rows_and_removes_them(history, tmp_path):
    license, device = history

    result = deductions_archive(before=NOW + 2 * DAY, directory=tmp_path, now=LATER)

    rows = archived_rows(result.path)
    assert result.rows == 2
    assert [row["at"] for row in rows] == [NOW.isoformat(), (NOW + DAY).isoformat()]
    assert rows[0]["card"] == license.card
    assert rows[0]["device"] == device.number
    assert rows[0]["trigger"] == "report"
    assert rows[0]["days"] == "1"
    assert Deduction.objects.filter(license=license).count() == 3
    assert LicenseCheckpoint.objects.get(license=license).archived_days == 2
    assert ledger_audit() == []
    assert ledger_audit(full=True) == []


def test_the_audit_catches_a_tampered_ledger_after_an_archive(history, tmp_path):
    license, _ = history
    deductions_archive(before=NOW + 2 * DAY, directory=tmp_path, now=LATER)

    License.objects.filter(pk=license.pk).update(available_days=F("available_days") - 1)

    assert kinds(ledger_audit()) == ["license_deductions_mismatch"]
    assert "license_deductions_mismatch" in kinds(ledger_audit(full=True))


def test_a_remaining_row_tampered_after_an_archive_is_caught_by_the_full_audit(history, tmp_path):
    license, _ = history
    deductions_archive(before=NOW + 2 * DAY, directory=tmp_path, now=LATER)
    Deduction.objects.filter(license=license).order_by("at").first().delete()

    assert "license_deductions_mismatch" in kinds(ledger_audit(full=True))


def test_archiving_everything_keeps_every_ledger_proven(history, tmp_path):
    result = deductions_archive(before=NOW + 10 * DAY, directory=tmp_path, now=LATER)

    assert result.rows == 5
    assert not Deduction.objects.exists()
    assert ledger_audit() == []
    assert ledger_audit(full=True) == []


def test_archive_refuses_an_unclean_ledger_and_changes_nothing(history, tmp_path):
    license, _ = history
    License.objects.filter(pk=license.pk).update(available_days=F("available_days") + 1)

    with pytest.raises(LedgerNotClean):
        deductions_archive(before=NOW + 2 * DAY, directory=tmp_path, now=LATER)

    assert Deduction.objects.count() == 5
    assert list(tmp_path.iterdir()) == []


def test_archive_refuses_a_date_after_the_checkpoint(history, tmp_path):
    with pytest.raises(DaypassError) as error:
        deductions_archive(before=NOW + 4 * DAY, directory=tmp_path, now=NOW + 4 * DAY)

    assert error.value.code == "validation_error"
    assert Deduction.objects.count() == 5


def test_archive_and_audit_commands(history, tmp_path):
    out = StringIO()
    call_command("archive", "--before", "2026-11-03", "--directory", str(tmp_path), stdout=out)

    assert "Archived 2 deductions" in out.getvalue()
    [written] = tmp_path.iterdir()
    assert written.name.endswith(".csv.gz")
    assert Deduction.objects.count() == 3
    audit = StringIO()
    call_command("audit", stdout=audit)
    assert "no problems" in audit.getvalue()
    call_command("audit", "--full", stdout=audit)
    assert audit.getvalue().count("no problems") == 2


def test_the_audit_command_moves_the_checkpoint(history):
    call_command("audit", stdout=StringIO())

    assert ledger_checkpoint() is not None
    assert LicenseCheckpoint.objects.count() == 1


def test_the_audit_command_names_a_problem_found_only_by_the_full_audit(history):
    license, _ = history
    call_command("audit", stdout=StringIO())
    Deduction.objects.filter(license=license).order_by("at").first().delete()
    call_command("audit", stdout=StringIO())  # incremental: still clean

    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("audit", "--full", stdout=out, stderr=StringIO())

    assert exit_.value.code == 1
    assert license.card in out.getvalue()


def test_archive_rejects_a_bad_date(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("archive", "--before", "2026-13-01", "--directory", str(tmp_path))


def test_a_sweep_with_nothing_due_reads_two_index_probes_not_the_devices(history):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = sweep_run(now=NOW + 4 * DAY + HOUR)  # everything paid until NOW + 5 days

    assert result.devices == 0
    assert len(queries) == 2
    assert sweep_run(now=NOW + 5 * DAY).charged == 1  # and due again once the window ends
