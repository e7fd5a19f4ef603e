"""SPEC 14 auto-renew: a device none of whose bound licenses can pay gets its owner's best spare
license bound and charged in the same transaction, in the gate and in the sweep alike."""

import pytest

from daypass.billing.deduction import device_charge
from daypass.billing.gate import gate_check
from daypass.billing.ledger_audit import ledger_audit
from daypass.billing.models import Deduction
from daypass.billing.sweep import sweep_run
from daypass.core.models import AuditEvent
from daypass.devices.models import Device
from daypass.events.models import Event
from daypass.licenses.models import License
from tests import factories
from tests.billing.conftest import DAY, NOW, requires_postgresql

# The device's first license was charged its only day two days ago: it is due and exhausted.
CHARGED_AT = NOW - 2 * DAY


def fleet(*, auto_renew=True):
    platform = factories.make_customer(name="Platform")
    owner = factories.make_customer(parent=platform, name="Fleet")
    owner.allow_auto_renew = auto_renew
    owner.save(update_fields=["allow_auto_renew"])
    return owner


def exhausted_device(owner, license_type, **fields):
    """A device whose one bound license paid its last day at CHARGED_AT (ledger consistent)."""
    device = factories.make_device(customer=owner, model=license_type.device_models.get())
    factories.make_license(
        customer=owner, type=license_type, device=device, bound_at=CHARGED_AT, total_days=1
    )
    deduction = device_charge(device=device, now=CHARGED_AT, trigger="sweep")
    assert deduction.result == "success"
    return device


def spare(owner, license_type, card, **fields):
    return factories.make_license(customer=owner, type=license_type, card=card, **fields)


@pytest.fixture
def setup(db):
    owner = fleet()
    model = factories.make_device_model("MX-AR")
    main_type = factories.make_license_type(code="MAIN", models=[model], days=30)
    return owner, model, main_type


def bound_to(card):
    return License.objects.get(card=card).device_id


# --- the gate ----------------------------------------------------------------------------------


def test_a_report_binds_the_best_spare_and_charges_it(setup):
    owner, model, main_type = setup
    device = exhausted_device(owner, main_type)
    spare(owner, main_type, "S2")
    spare(owner, main_type, "S1")

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert (result.allowed, result.reason) == (True, "charged")
    renewed = License.objects.get(card="S1")
    assert renewed.device_id == device.pk
    assert renewed.bound_at == NOW
    assert renewed.activated_at == NOW
    assert renewed.available_days == 29
    assert bound_to("S2") is None
    charge = Deduction.objects.get(at=NOW)
    assert (charge.license_id, charge.result, charge.trigger) == (renewed.pk, "success", "report")
    device.refresh_from_db()
    assert not device.blacklisted
    assert ledger_audit() == []


def test_the_bind_is_audited_and_emits_license_auto_bound(setup):
    owner, model, main_type = setup
    device = exhausted_device(owner, main_type)
    spare(owner, main_type, "S1")

    gate_check(device_numbers=[device.number], now=NOW)

    audit = AuditEvent.objects.get(action="license.bind", target="S1")
    assert audit.actor is None
    assert audit.acting_customer == owner
    assert audit.at == NOW
    assert audit.details == {"device": device.number, "owner": owner.number, "auto_renew": True}
    event = Event.objects.get(type="license.auto_bound")
    assert event.customer == owner
    assert event.data["license"]["card"] == "S1"
    assert event.data["license"]["device"] == device.number
    assert event.data["device"]["number"] == device.number
    assert event.data["device"]["licenses"] == sorted(
        License.objects.filter(device=device).values_list("card", flat=True)
    )


def test_switch_off_blacklists_as_before(db):
    owner = fleet(auto_renew=False)
    main_type = factories.make_license_type(models=[factories.make_device_model()], days=30)
    device = exhausted_device(owner, main_type)
    spare(owner, main_type, "S1")

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result.reason == "no_valid_license"
    assert bound_to("S1") is None
    assert not Event.objects.filter(type="license.auto_bound").exists()
    assert not AuditEvent.objects.filter(action="license.bind").exists()
    device.refresh_from_db()
    assert device.blacklisted


def test_same_type_as_the_last_charged_license_comes_before_a_lower_card(setup):
    owner, model, main_type = setup
    other_type = factories.make_license_type(code="OTHER", models=[model], days=30)
    device = exhausted_device(owner, main_type)
    spare(owner, other_type, "A1")
    spare(owner, main_type, "Z9")

    gate_check(device_numbers=[device.number], now=NOW)

    assert bound_to("Z9") == device.pk
    assert bound_to("A1") is None


def test_without_one_of_the_same_type_the_oldest_card_of_any_fitting_type(setup):
    owner, model, main_type = setup
    second = factories.make_license_type(code="SECOND", models=[model], days=30)
    third = factories.make_license_type(code="THIRD", models=[model], days=30)
    device = exhausted_device(owner, main_type)
    spare(owner, third, "C3")
    spare(owner, second, "C2")
    spare(owner, third, "C1")

    gate_check(device_numbers=[device.number], now=NOW)

    assert bound_to("C1") == device.pk


def test_a_device_never_charged_takes_the_oldest_card_at_its_first_report(setup):
    owner, model, main_type = setup
    device = factories.make_device(customer=owner, model=model)
    spare(owner, main_type, "S2")
    spare(owner, main_type, "S1")

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result.reason == "charged"
    assert bound_to("S1") == device.pk


def test_a_deactivated_license_is_eligible(setup):
    owner, model, main_type = setup
    device = exhausted_device(owner, main_type)
    spare(owner, main_type, "D1", available_days=10, activated_at=NOW - 5 * DAY)

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result.reason == "charged"
    assert License.objects.get(card="D1").available_days == 9


def test_unused_and_deactivated_spares_are_taken_by_card_whatever_their_status(setup):
    owner, model, main_type = setup
    devices = [exhausted_device(owner, main_type) for _ in range(4)]
    # Deactivated: charged before (activated), unbound since; the ledger starts at 10 days.
    used_before = {"activated_at": NOW - 5 * DAY, "available_days": 10, "total_days": 10}
    spare(owner, main_type, "S4")
    spare(owner, main_type, "S3", **used_before)
    spare(owner, main_type, "S2")
    spare(owner, main_type, "S1", **used_before)

    sweep_run(now=NOW)

    assert [bound_to(card) for card in ("S1", "S2", "S3", "S4")] == [d.pk for d in devices]
    assert ledger_audit() == []


@requires_postgresql
def test_the_spares_are_read_off_the_status_index_not_past_the_bound_licenses(setup):
    """A fleet's bound licenses may all sort before its spares: the oldest spare is found
    through the index of (customer, status, card), not by walking the owner's cards."""
    from django.db import connection

    from daypass.billing.auto_renew import _spares

    owner, model, main_type = setup
    spare(owner, main_type, "S1")
    queries = []

    def explain(execute, sql, params, many, context):
        queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        assert [
            card
            for card, _pk in _spares(
                owner_id=owner.pk, type_id=main_type.pk, charge_days=1, limit=5, exclude=set()
            )
        ] == ["S1"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql, params in queries:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "license_customer_status_card" in plan, plan
            assert "Sort" not in plan, plan


@pytest.mark.parametrize(
    "ineligible",
    ["locked", "expired", "bound", "wrong_model", "sub_customer", "superior", "below_charge_days"],
)
def test_ineligible_spares_are_never_taken(setup, ineligible):
    owner, model, main_type = setup
    device = exhausted_device(owner, main_type)
    other_model = factories.make_device_model("MX-OTHER")
    if ineligible == "locked":
        spare(owner, main_type, "X1", locked=True)
    elif ineligible == "expired":
        spare(owner, main_type, "X1", available_days=0, activated_at=NOW - DAY)
    elif ineligible == "bound":
        elsewhere = factories.make_device(customer=owner, model=model, service_until=NOW + DAY)
        spare(owner, main_type, "X1", device=elsewhere, bound_at=NOW - DAY)
    elif ineligible == "wrong_model":
        spare(owner, factories.make_license_type(models=[other_model]), "X1")
    elif ineligible == "sub_customer":
        spare(factories.make_customer(parent=owner, name="Sub"), main_type, "X1")
    elif ineligible == "superior":
        spare(owner.parent, main_type, "X1")
    elif ineligible == "below_charge_days":
        weekly = factories.make_license_type(models=[model], days=28, charge_days=7)
        spare(owner, weekly, "X1", available_days=6, activated_at=NOW - 3 * DAY)
    before = License.objects.get(card="X1")

    [result] = gate_check(device_numbers=[device.number], now=NOW)

    assert result.reason == "no_valid_license"
    after = License.objects.get(card="X1")
    assert (after.device_id, after.available_days) == (before.device_id, before.available_days)
    assert not Event.objects.filter(type="license.auto_bound").exists()


def test_a_device_that_can_still_pay_is_not_renewed(setup):
    owner, model, main_type = setup
    device = factories.make_device(customer=owner, model=model, service_until=NOW - DAY)
    factories.make_license(
        customer=owner, type=main_type, device=device, bound_at=NOW - DAY, activated_at=NOW - DAY
    )
    spare(owner, main_type, "S1")

    gate_check(device_numbers=[device.number], now=NOW)

    assert bound_to("S1") is None


# --- the sweep ---------------------------------------------------------------------------------


def test_the_sweep_renews_devices_in_id_order_until_the_spares_run_out(setup):
    owner, model, main_type = setup
    devices = [exhausted_device(owner, main_type) for _ in range(4)]
    for card in ("S3", "S1", "S2"):
        spare(owner, main_type, card)

    result = sweep_run(now=NOW, chunk_size=3)

    assert (result.charged, result.failed) == (3, 1)
    assert [bound_to(card) for card in ("S1", "S2", "S3")] == [d.pk for d in devices[:3]]
    last = Device.objects.get(pk=devices[3].pk)
    assert last.blacklisted
    assert Event.objects.filter(type="license.auto_bound").count() == 3
    assert AuditEvent.objects.filter(action="license.bind").count() == 3
    assert ledger_audit() == []


def test_the_sweep_prefers_each_devices_last_type(setup):
    owner, model, main_type = setup
    other_type = factories.make_license_type(code="OTHER", models=[model], days=30)
    on_main = exhausted_device(owner, main_type)
    on_other = exhausted_device(owner, other_type)
    spare(owner, other_type, "A1")
    spare(owner, main_type, "B1")

    sweep_run(now=NOW)

    assert bound_to("B1") == on_main.pk
    assert bound_to("A1") == on_other.pk


def test_the_sweep_with_the_switch_off_blacklists(db):
    owner = fleet(auto_renew=False)
    main_type = factories.make_license_type(models=[factories.make_device_model()], days=30)
    device = exhausted_device(owner, main_type)
    spare(owner, main_type, "S1")

    result = sweep_run(now=NOW)

    assert (result.charged, result.failed) == (0, 1)
    assert bound_to("S1") is None
    assert Device.objects.get(pk=device.pk).blacklisted


def test_the_sweep_leaves_warehouse_bound_devices_to_their_first_report(setup):
    owner, model, main_type = setup
    device = factories.make_device(customer=owner, model=model)
    spare(owner, main_type, "S1")

    result = sweep_run(now=NOW)

    assert result.devices == 0
    assert bound_to("S1") is None
    assert not Device.objects.get(pk=device.pk).blacklisted


# --- races, on PostgreSQL ------------------------------------------------------------------------


def race_fleet(devices, spares):
    owner = fleet()
    model = factories.make_device_model("MX-RACE")
    main_type = factories.make_license_type(code="RACE", models=[model], days=30)
    made = [exhausted_device(owner, main_type) for _ in range(devices)]
    for index in range(spares):
        spare(owner, main_type, f"S{index}")
    return made


def assert_renewed_once(device):
    assert License.objects.filter(device=device, card__startswith="S").count() == 1
    assert Deduction.objects.filter(device=device, at=NOW, result="success").count() == 1
    assert (
        AuditEvent.objects.filter(action="license.bind", details__device=device.number).count() == 1
    )
    assert Event.objects.filter(type="license.auto_bound").count() == 1
    assert ledger_audit() == []


@pytest.mark.postgres
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_reports_of_an_exhausted_device_bind_and_charge_once():
    from tests.billing.test_concurrency import run_in_threads

    [device] = race_fleet(1, 2)

    results = run_in_threads(20, lambda i: gate_check(device_numbers=[device.number], now=NOW))

    reasons = sorted(result[0].reason for result in results)
    assert reasons == ["charged"] + ["paid"] * 19
    assert_renewed_once(device)
    assert bound_to("S1") is None


@pytest.mark.postgres
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_report_racing_the_sweep_renews_once():
    from tests.billing.test_concurrency import run_in_threads

    devices = race_fleet(30, 40)
    numbers = [d.number for d in devices]

    def body(index):
        if index == 0:
            return sweep_run(now=NOW, chunk_size=5)
        return gate_check(device_numbers=numbers if index % 2 else numbers[::-1], now=NOW)

    results = run_in_threads(3, body)

    assert all(r.allowed for gate_results in results[1:] for r in gate_results)
    assert Deduction.objects.filter(at=NOW, result="success").count() == 30
    assert not Deduction.objects.filter(result="failed").exists()
    renewed = License.objects.filter(card__startswith="S", device__isnull=False)
    assert renewed.count() == 30
    assert len(set(renewed.values_list("device_id", flat=True))) == 30
    assert Event.objects.filter(type="license.auto_bound").count() == 30
    assert AuditEvent.objects.filter(action="license.bind").count() == 30
    assert ledger_audit() == []


@pytest.mark.postgres
@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_devices_racing_for_the_last_spare_one_gets_it_the_other_is_blacklisted():
    from tests.billing.test_concurrency import run_in_threads

    first, second = race_fleet(2, 1)
    devices = [first, second]

    results = run_in_threads(2, lambda i: gate_check(device_numbers=[devices[i].number], now=NOW))

    reasons = sorted(result[0].reason for result in results)
    assert reasons == ["charged", "no_valid_license"]
    winner = devices[[r[0].reason for r in results].index("charged")]
    loser = devices[[r[0].reason for r in results].index("no_valid_license")]
    assert bound_to("S0") == winner.pk
    assert Device.objects.get(pk=loser.pk).blacklisted
    assert Event.objects.filter(type="license.auto_bound").count() == 1
    assert ledger_audit() == []
