"""SPEC 4.4: `daypass audit` finds a ledger that does not add up."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from daypass.billing.deduction import device_charge
from daypass.billing.ledger_audit import ledger_audit
from daypass.billing.models import Deduction
from daypass.billing.sweep import sweep_run
from daypass.licenses.models import License, TopUp
from tests import factories
from tests.billing.conftest import DAY, HOUR, NOW, bound_license


@pytest.fixture
def charged_license(owner, model):
    """A license charged three times: once by a report, twice by the sweep."""
    device = factories.make_device(customer=owner, model=model)
    license = bound_license(device=device, activated_at=None)
    device_charge(device=device, now=NOW, trigger="report")
    sweep_run(now=NOW + DAY)
    sweep_run(now=NOW + 2 * DAY)
    license.refresh_from_db()
    return license


def test_a_clean_ledger_has_no_problems(charged_license):
    assert charged_license.total_days - charged_license.available_days == 3
    assert ledger_audit() == []


def test_a_tampered_available_days_is_named(charged_license):
    License.objects.filter(pk=charged_license.pk).update(available_days=F("available_days") + 1)

    [problem] = ledger_audit()

    assert problem.kind == "license_deductions_mismatch"
    assert problem.subject == charged_license.card


def test_a_deleted_deduction_is_noticed(charged_license):
    Deduction.objects.filter(license=charged_license).order_by("at").first().delete()

    assert [p.kind for p in ledger_audit()] == ["license_deductions_mismatch"]


def test_top_ups_are_counted(charged_license, owner):
    TopUp.objects.create(at=NOW, license=charged_license, days=10)
    License.objects.filter(pk=charged_license.pk).update(
        total_days=charged_license.total_days + 10,
        available_days=charged_license.available_days + 10,
    )

    assert ledger_audit() == []


def test_total_days_grown_without_a_top_up_record_is_named(charged_license):
    License.objects.filter(pk=charged_license.pk).update(
        total_days=charged_license.total_days + 10,
        available_days=charged_license.available_days + 10,
    )

    [problem] = ledger_audit()

    assert problem.kind == "license_top_ups_mismatch"
    assert problem.subject == charged_license.card


def test_overlapping_windows_of_a_device_are_named(charged_license):
    first = Deduction.objects.filter(license=charged_license).order_by("at").first()
    Deduction.objects.filter(pk=first.pk).update(window_end=first.window_end + HOUR)

    [problem] = ledger_audit()

    assert problem.kind == "device_windows_overlap"
    assert problem.subject == charged_license.device.number


def test_a_long_window_covering_two_later_ones_names_both(charged_license):
    first = Deduction.objects.filter(license=charged_license).order_by("at").first()
    Deduction.objects.filter(pk=first.pk).update(window_end=first.window_end + 3 * DAY)

    assert [p.kind for p in ledger_audit()] == ["device_windows_overlap"] * 2


def test_audit_command_exits_non_zero_naming_the_license(charged_license):
    License.objects.filter(pk=charged_license.pk).update(available_days=F("available_days") + 1)
    out, err = StringIO(), StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", stdout=out, stderr=err)

    assert exit_info.value.code == 1
    assert charged_license.card in out.getvalue()
    assert "1 problem(s)" in err.getvalue()


def test_audit_command_says_so_when_all_is_well(charged_license):
    out = StringIO()

    call_command("audit", stdout=out)

    assert "no problems" in out.getvalue()
