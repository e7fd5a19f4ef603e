"""A month of random reports, sweeps and top-ups keeps the ledger consistent (SPEC 4.4).

Seeded, so a failure replays exactly. After every step the ledger audit finds nothing, and at the
end every device's paid windows follow each other without overlapping.
"""

import random
from datetime import timedelta

import pytest

from daypass.billing.gate import gate_check
from daypass.billing.ledger_audit import ledger_audit
from daypass.billing.models import Deduction
from daypass.billing.sweep import sweep_run
from daypass.devices.models import Device
from daypass.licenses.models import License
from daypass.licenses.services import license_top_up
from tests import factories
from tests.billing.conftest import NOW, bound_license


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_month_keeps_the_ledger_consistent(tree, seed):
    chooser = random.Random(seed)
    model = factories.make_device_model()
    types = [
        factories.make_license_type(models=[model], days=5, charge_days=1, period_hours=24),
        factories.make_license_type(models=[model], days=9, charge_days=3, period_hours=60),
        factories.make_license_type(models=[model], days=4, charge_days=2, period_hours=12),
    ]
    devices = [factories.make_device(customer=tree.fleet, model=model) for _ in range(8)]
    for device in devices:
        for _ in range(chooser.randint(0, 3)):
            bound_license(
                device=device,
                type=chooser.choice(types),
                activated_at=chooser.choice([None, NOW - timedelta(days=2)]),
                customer=tree.fleet,
            )

    at = NOW
    for _step in range(60):
        at += timedelta(hours=chooser.randint(1, 14))
        action = chooser.random()
        if action < 0.5:
            numbers = [d.number for d in chooser.choices(devices, k=chooser.randint(1, 5))]
            results = gate_check(device_numbers=numbers, now=at)
            assert all(r.allowed == (r.reason in ("paid", "charged")) for r in results)
        elif action < 0.85:
            sweep_run(now=at, chunk_size=chooser.randint(1, 4))
        else:
            bound = list(License.objects.filter(device__isnull=False))
            if bound:
                license_top_up(
                    actor=tree.platform_admin,
                    license=chooser.choice(bound),
                    days=chooser.randint(1, 4),
                    now=at,
                )
        assert ledger_audit() == []

    for device in Device.objects.all():
        windows = list(
            Deduction.objects.filter(device=device, result="success")
            .order_by("window_start")
            .values_list("window_start", "window_end")
        )
        for (_, previous_end), (start, _) in zip(windows, windows[1:], strict=False):
            assert previous_end <= start
        if windows:
            assert device.service_until == windows[-1][1]
    assert not License.objects.filter(available_days__lt=0).exists()
    assert Deduction.objects.filter(result="success").exists()
    assert Deduction.objects.filter(result="failed").exists()
