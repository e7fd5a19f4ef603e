"""license.running_low and license.expired (SPEC 12.1): once per crossing, from the gate and
the sweep alike, with the license as the API shows it after the charge."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest
from django.db import connection

from daypass.billing.gate import gate_check
from daypass.billing.sweep import sweep_run
from daypass.events.causes import days_crossing, days_crossing_sql
from daypass.events.snapshots import license_snapshot
from daypass.licenses.models import License
from daypass.licenses.services import license_top_up
from tests import factories
from tests.events.conftest import events, stored

NOW = factories.NOW
DAY = timedelta(days=1)


@pytest.fixture
def model(db):
    return factories.make_device_model()


def in_use(customer, model, *, days, charge_days=1, total=365):
    """A device with one in-use license of `days` available days, due now."""
    device = factories.make_device(customer=customer, model=model)
    license_type = factories.make_license_type(models=[model], charge_days=charge_days)
    license = factories.make_license(
        customer=customer,
        type=license_type,
        device=device,
        bound_at=NOW - 10 * DAY,
        activated_at=NOW - 10 * DAY,
        total_days=max(total, days),
        available_days=days,
    )
    return device, license


def report(device, at=NOW):
    return gate_check(device_numbers=[device.number], now=at)[0]


def low_events():
    return [
        (e.type, e.customer_id, e.data["license"]["card"], e.data.get("threshold"))
        for e in events()
        if e.type in ("license.running_low", "license.expired")
    ]


@pytest.mark.parametrize(
    "before, after, expected",
    [
        (31, 30, None),
        (30, 29, ("license.running_low", 30)),
        (29, 28, None),
        (8, 7, None),
        (7, 6, ("license.running_low", 7)),
        (6, 5, None),
        (31, 6, ("license.running_low", 7)),
        (30, 0, ("license.expired", None)),
        (1, 0, ("license.expired", None)),
        (0, 0, None),
        (40, 35, None),
    ],
)
def test_days_crossing(before, after, expected):
    assert days_crossing(before=before, after=after) == expected


def test_the_sweeps_sql_filter_agrees_with_days_crossing(db):
    cases = [(after, taken) for after, taken in product(range(0, 45), range(0, 40))]
    values = ", ".join(f"({a}, {t})" for a, t in cases)
    crossing = days_crossing_sql(after="c.a", taken="c.t")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH c(a, t) AS (VALUES {values}) "
            f"SELECT a, t, CASE WHEN {crossing} THEN 1 ELSE 0 END FROM c"
        )
        rows = cursor.fetchall()
    assert len(rows) == len(cases)
    for after, taken, crosses in rows:
        assert bool(crosses) == (days_crossing(before=after + taken, after=after) is not None), (
            after,
            taken,
        )


def test_a_report_taking_a_license_below_30_emits_running_low_to_its_owner(tree, model):
    device, license = in_use(tree.fleet, model, days=30)

    assert report(device).reason == "charged"

    [event] = events()
    license.refresh_from_db()
    assert (event.type, event.customer_id, event.at) == ("license.running_low", tree.fleet.pk, NOW)
    assert event.data == {"license": stored(license_snapshot(license)), "threshold": 30}
    assert event.data["license"]["available_days"] == 29
    assert event.data["license"]["status"] == "in_use"


def test_running_low_is_emitted_once_per_crossing(tree, model):
    device, license = in_use(tree.fleet, model, days=31)
    for day in range(4):  # 31 → 27
        report(device, NOW + day * DAY)
    assert low_events() == [("license.running_low", tree.fleet.pk, license.card, 30)]


def test_crossing_30_and_7_at_once_emits_one_running_low_with_threshold_7(tree, model):
    device, license = in_use(tree.fleet, model, days=31, charge_days=25)
    report(device)
    assert low_events() == [("license.running_low", tree.fleet.pk, license.card, 7)]


def test_reaching_zero_emits_expired_only(tree, model):
    device, license = in_use(tree.fleet, model, days=7, charge_days=7)
    report(device)
    [event] = events()
    assert event.type == "license.expired"
    assert set(event.data) == {"license"}
    assert event.data["license"]["status"] == "expired"


def test_7_then_0_emits_running_low_then_expired(tree, model):
    device, license = in_use(tree.fleet, model, days=7)
    report(device)
    for day in range(1, 7):
        report(device, NOW + day * DAY)
    assert License.objects.get(pk=license.pk).available_days == 0
    assert low_events() == [
        ("license.running_low", tree.fleet.pk, license.card, 7),
        ("license.expired", tree.fleet.pk, license.card, None),
    ]


def test_a_top_up_back_above_a_threshold_re_arms_it(tree, model):
    device, license = in_use(tree.fleet, model, days=30)
    report(device)  # 29: running low 30
    license_top_up(actor=tree.platform_admin, license=license, days=1, now=NOW + DAY)  # 30
    report(device, NOW + DAY)  # 29 again: running low 30 again
    assert low_events() == [("license.running_low", tree.fleet.pk, license.card, 30)] * 2


def test_a_top_up_that_stays_below_does_not_re_arm(tree, model):
    device, license = in_use(tree.fleet, model, days=29)
    report(device)  # 28: below 30 already, nothing
    license_top_up(actor=tree.platform_admin, license=license, days=1, now=NOW)  # 29
    report(device, NOW + DAY)  # 28: nothing
    assert License.objects.get(pk=license.pk).available_days == 28
    assert low_events() == []


def test_the_sweep_emits_the_same_events_as_reports_would(tree, model):
    # given licenses on both sides of every threshold
    crossing_30 = in_use(tree.fleet, model, days=30)[1]
    in_use(tree.fleet, model, days=29)
    in_use(tree.fleet, model, days=50)
    crossing_7 = in_use(tree.dealer, model, days=7)[1]
    expiring = in_use(tree.dealer, model, days=1)[1]
    both = in_use(tree.dealer, model, days=30, charge_days=24)[1]

    # when the sweep charges them, in several chunks
    result = sweep_run(now=NOW, chunk_size=4)

    # then
    assert result.charged == 6
    assert result.events == 4
    assert sorted(low_events(), key=lambda e: e[2]) == sorted(
        [
            ("license.running_low", tree.fleet.pk, crossing_30.card, 30),
            ("license.running_low", tree.dealer.pk, crossing_7.card, 7),
            ("license.expired", tree.dealer.pk, expiring.card, None),
            ("license.running_low", tree.dealer.pk, both.card, 7),
        ],
        key=lambda e: e[2],
    )
    for event in events():
        license = License.objects.get(card=event.data["license"]["card"])
        assert event.data["license"] == stored(license_snapshot(license))


def test_the_sweep_emits_device_blacklisted_for_devices_it_blacklists(tree, model):
    device, _ = in_use(tree.fleet, model, days=0, total=30)
    License.objects.update(activated_at=NOW - DAY)

    result = sweep_run(now=NOW)

    assert result.failed == 1
    [event] = events()
    assert (event.type, event.customer_id) == ("device.blacklisted", tree.fleet.pk)
    assert event.data["reason"] == "no_valid_license"
    assert event.data["device"]["number"] == device.number
    assert event.data["device"]["blacklisted"] is True


def test_an_idle_sweep_emits_nothing(tree, model):
    device, _ = in_use(tree.fleet, model, days=30)
    sweep_run(now=NOW)
    assert sweep_run(now=NOW + timedelta(hours=1)).events == 0
    assert len(events()) == 1


def test_a_sweep_chunk_that_fails_leaves_no_event_of_its_own(tree, model, monkeypatch):
    from daypass.billing import sweep as sweep_module

    licenses = [in_use(tree.fleet, model, days=30)[1] for _ in range(4)]
    chunks = []

    def crash_after_the_second_chunk(real):
        def charge(**kwargs):
            counts = real(**kwargs)
            chunks.append(kwargs["device_ids"])
            if len(chunks) == 2:
                raise RuntimeError("injected after the chunk's events")
            return counts

        return charge

    for name in ("_charge_chunk_postgresql", "_charge_chunk_sqlite"):
        monkeypatch.setattr(
            sweep_module, name, crash_after_the_second_chunk(getattr(sweep_module, name))
        )
    with pytest.raises(RuntimeError):
        sweep_run(now=NOW, chunk_size=2)

    assert sorted(e.data["license"]["card"] for e in events()) == sorted(
        lic.card for lic in licenses if lic.device_id in chunks[0]
    )
