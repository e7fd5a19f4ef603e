"""The bulk part of `daypass demo`: months of license sales, binds and daily charges.

Rows are built in memory and written with bulk_create, but every number is derived the way the
services and the billing engine would derive it, so the ledger holds (SPEC 4.4):
- total days = issued days + top-ups, and total − available = sum of successful deductions;
- a device's successful charges are consecutive windows (never two with the same start);
- a license bound to a sub-customer's device was moved there by a `sell`/`bind`/`device`
  transfer chain from the platform, each hop to a child, each after the one before.
(The module name starts with "_" so Django does not take it for a command.)
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from daypass.billing.blacklist import NO_VALID_LICENSE
from daypass.billing.models import Deduction, DeductionResult, DeductionTrigger
from daypass.customers.models import Account, Customer
from daypass.devices.models import Device, DeviceModel
from daypass.licenses.models import License, LicenseType, TopUp, Transfer, TransferMethod
from daypass.licenses.services import CARD_DIGITS, CARD_PREFIX

BULK_BATCH_SIZE = 2000
PROGRESS_EVERY = 20_000
# Device numbers of the bulk history; the live part (services) registers its own.
DEVICE_NUMBER_BASE = 860_000_000_000_000

# Devices per scenario at scale 1.0 (2,400 devices, about 6,100 licenses):
#   running     in use now (some with a spare bound license, an earlier expired or swapped one)
#   warehouse   a license bound but never charged: Inactive
#   blacklisted used up its only license, the next charge failed
#   idle        its license was unbound after use: Deactivated, or Expired when used up
#   stock       no license
SCENARIO_DEVICES = {
    "running": 1300,
    "warehouse": 300,
    "blacklisted": 120,
    "idle": 350,
    "stock": 330,
}
UNUSED_LICENSES = 3600
SALES_DAY_EVERY = timedelta(days=7)


@dataclass
class Plan:
    """One license's life: who owns it, its hops down the tree, its binding and its charges."""

    license: License
    owner: Customer
    charges: int = 0
    first_charge_at: datetime | None = None
    device: Device | None = None  # the device its charges went to (it may be unbound now)
    hops: list[tuple[Customer, Customer, str, datetime]] = field(default_factory=list)


class DemoHistory:
    def __init__(
        self,
        *,
        rng: random.Random,
        now: datetime,
        platform: Customer,
        platform_admin: Account | None,
        customers: list[Customer],
        device_models: dict[str, DeviceModel],
        license_types: dict[str, LicenseType],
        operators: dict[int, Account],
        scale: float,
        progress,
    ):
        self.rng = rng
        self.now = now
        self.platform = platform
        self.platform_admin = platform_admin
        self.by_pk = {c.pk: c for c in customers}
        self.fleets = [c for c in customers if c.depth == 3]
        self.dealers = [c for c in customers if c.depth == 2]
        self.distributors = [c for c in customers if c.depth == 1]
        self.device_models = device_models
        self.license_types = license_types
        self.types_for_model = {
            code: [t for t in license_types.values() if code in t.model_codes]
            for code in device_models
        }
        self.operators = operators
        self.sales_grid_origin = (now - timedelta(days=400)).replace(
            hour=9, minute=0, second=0, microsecond=0
        )
        self.scale = scale
        self.progress = progress
        self.plans: list[Plan] = []
        self.devices: list[Device] = []
        self.deductions: list[Deduction] = []
        self.top_ups: list[TopUp] = []
        self.device_seq = 0

    # --- helpers -------------------------------------------------------------------------

    def count(self, n: int) -> int:
        return max(1, round(n * self.scale))

    def days_ago(self, low: float, high: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(low, high))

    def chain(self, customer: Customer) -> list[Customer]:
        """The customers from the platform down to `customer`."""
        path = []
        node: Customer | None = customer
        while node is not None:
            path.append(node)
            node = self.by_pk.get(node.parent_id) if node.parent_id else None
        return list(reversed(path))

    def new_device(self, owner: Customer, model_codes: list[str]) -> Device:
        self.device_seq += 1
        model = self.device_models[self.rng.choice(model_codes)]
        device = Device(
            number=f"{DEVICE_NUMBER_BASE + self.device_seq * 7919:015d}",
            model=model,
            customer=owner,
            registered_at=self.days_ago(200, 260),
        )
        self.devices.append(device)
        return device

    def new_license(self, license_type: LicenseType, owner: Customer) -> Plan:
        license = License(
            card="",  # numbered in issue order when written
            type=license_type,
            customer=owner,
            issued_days=license_type.days,
            total_days=license_type.days,
            available_days=license_type.days,
            created_at=self.days_ago(190, 240),
        )
        plan = Plan(license=license, owner=owner)
        self.plans.append(plan)
        return plan

    def sell_down(self, plan: Plan, *, before: datetime, last_hop: str = TransferMethod.SELL):
        """Sales hops platform → … → owner, spread between issue and `before`."""
        path = self.chain(plan.owner)
        # Issued some days before the first sale.
        plan.license.created_at = min(
            plan.license.created_at, before - timedelta(days=self.rng.uniform(3, 20))
        )
        start = plan.license.created_at
        span = (before - start) / (len(path) + 1)
        for i, (sender, receiver) in enumerate(zip(path, path[1:], strict=False)):
            method = last_hop if i == len(path) - 2 else TransferMethod.SELL
            at = start + span * (i + 1) + timedelta(minutes=self.rng.randint(0, 600))
            if method == TransferMethod.SELL:
                at = self.sales_day(at)
            plan.hops.append((sender, receiver, method, at))
        if plan.hops:
            plan.license.created_at = min(
                plan.license.created_at, plan.hops[0][3] - timedelta(days=1)
            )

    def sales_day(self, at: datetime) -> datetime:
        """The order day on or before `at`: customers sell in batches every few days, so the
        sales records show batches of many cards, as a real order would."""
        slots = (at - self.sales_grid_origin) // SALES_DAY_EVERY
        return self.sales_grid_origin + slots * SALES_DAY_EVERY

    def charge(self, plan: Plan, device: Device, starts: list[datetime]) -> None:
        """Successful charges of `plan`'s license at the given window starts (oldest first)."""
        license = plan.license
        period = timedelta(hours=license.type.period_hours)
        for i, start in enumerate(starts):
            license.available_days -= license.type.charge_days
            self.deductions.append(
                Deduction(
                    at=start,
                    device=device,
                    license=license,
                    customer=plan.owner,
                    days=license.type.charge_days,
                    available_days_after=license.available_days,
                    window_start=start,
                    window_end=start + period,
                    trigger=DeductionTrigger.REPORT if i == 0 else DeductionTrigger.SWEEP,
                    result=DeductionResult.SUCCESS,
                )
            )
        device.registered_at = min(device.registered_at, starts[0] - timedelta(days=2))
        plan.charges = len(starts)
        plan.first_charge_at = starts[0]
        plan.device = device
        license.activated_at = starts[0]

    def windows_ending(self, license_type: LicenseType, count: int, end: datetime):
        """`count` consecutive window starts whose last window ends at `end`."""
        period = timedelta(hours=license_type.period_hours)
        return [end - period * (count - i) for i in range(count)]

    def pick_type(self, model_code: str, *, exclude_weekly: bool = False) -> LicenseType:
        choices = self.types_for_model[model_code]
        if exclude_weekly:
            choices = [t for t in choices if t.period_hours == 24] or choices
        return self.rng.choice(choices)

    def max_charges(self, license_type: LicenseType) -> int:
        """Charges a running license can have had without running out (capped at ~5 months)."""
        return max(
            1,
            min(
                (license_type.days - 1) // license_type.charge_days,
                150 * 24 // license_type.period_hours,
            ),
        )

    def bind(self, plan: Plan, device: Device, at: datetime) -> None:
        device.registered_at = min(device.registered_at, at - timedelta(days=1))
        plan.license.device = device
        plan.license.bound_at = at

    def owner_binds(self) -> str:
        # A dealer often binds its stock to a fleet's device: the license moves by `bind`.
        return TransferMethod.BIND if self.rng.random() < 0.3 else TransferMethod.SELL

    # --- scenarios ------------------------------------------------------------------------

    def build(self) -> None:
        self.progress("planning devices and licenses")
        gps_models = [
            c for c, types in self.types_for_model.items() if any(t.code == "GPS-30" for t in types)
        ]
        all_models = list(self.device_models)
        gps30 = self.license_types["GPS-30"]

        for _ in range(self.count(SCENARIO_DEVICES["running"])):
            self.running_device(self.rng.choice(self.fleets), all_models, gps_models, gps30)
        for _ in range(self.count(SCENARIO_DEVICES["warehouse"])):
            owner = self.rng.choice(self.fleets + self.dealers)
            device = self.new_device(owner, all_models)
            plan = self.new_license(self.pick_type(device.model.code), owner)
            bound_at = self.days_ago(1, 60)
            if owner.depth == 3 and self.rng.random() < 0.4:
                # Bound at the dealer, then the device (and its license) was sold to the fleet.
                dealer = self.by_pk[owner.parent_id]
                plan.owner = dealer
                self.sell_down(plan, before=bound_at)
                plan.owner = owner
                moved_at = min(bound_at + timedelta(hours=self.rng.uniform(1, 24)), self.now)
                plan.hops.append((dealer, owner, TransferMethod.DEVICE, moved_at))
            else:
                self.sell_down(plan, before=bound_at, last_hop=self.owner_binds())
            self.bind(plan, device, bound_at)
        for _ in range(self.count(SCENARIO_DEVICES["blacklisted"])):
            owner = self.rng.choice(self.fleets)
            device = self.new_device(owner, gps_models)
            plan = self.new_license(gps30, owner)
            ended = self.days_ago(1, 40)
            starts = self.windows_ending(gps30, gps30.days, ended)
            self.sell_down(plan, before=starts[0] - timedelta(days=2), last_hop=self.owner_binds())
            self.bind(plan, device, starts[0] - timedelta(days=1))
            self.charge(plan, device, starts)
            self.fail(device, owner, ended)
        for i in range(self.count(SCENARIO_DEVICES["idle"])):
            owner = self.rng.choice(self.fleets)
            used_up = i % 7 < 3  # about 3 in 7 idle devices used their license up
            device = self.new_device(owner, gps_models if used_up else all_models)
            license_type = gps30 if used_up else self.pick_type(device.model.code)
            plan = self.new_license(license_type, owner)
            count = (
                license_type.days // license_type.charge_days
                if used_up
                else self.rng.randint(1, self.max_charges(license_type))
            )
            ended = self.days_ago(2, 60)
            starts = self.windows_ending(license_type, count, ended)
            self.sell_down(plan, before=starts[0] - timedelta(days=2), last_hop=self.owner_binds())
            self.charge(plan, device, starts)  # then unbound: no device, no bound-at
            device.service_until = ended
        for _ in range(self.count(SCENARIO_DEVICES["stock"])):
            self.new_device(
                self.rng.choice(self.dealers * 6 + self.distributors * 3 + [self.platform]),
                all_models,
            )

        self.unused_licenses()
        self.top_up_some()

    def running_device(self, owner, all_models, gps_models, gps30) -> None:
        roll = self.rng.random()
        with_expired_before = roll < 0.12
        device = self.new_device(owner, gps_models if with_expired_before else all_models)
        license_type = self.pick_type(device.model.code)
        plan = self.new_license(license_type, owner)
        count = self.rng.randint(1, self.max_charges(license_type))
        period = timedelta(hours=license_type.period_hours)
        # The current window holds now: it started up to one period ago.
        service_until = self.now + period * self.rng.uniform(0.02, 0.98)
        starts = self.windows_ending(license_type, count, service_until)
        device.service_until = service_until
        earliest = starts[0]
        if with_expired_before:
            # A GPS-30 used up just before, still bound (Expired), then the current one took over.
            old = self.new_license(gps30, owner)
            old_starts = self.windows_ending(gps30, gps30.days, starts[0])
            self.sell_down(
                old, before=old_starts[0] - timedelta(days=2), last_hop=self.owner_binds()
            )
            self.bind(old, device, old_starts[0] - timedelta(days=1))
            self.charge(old, device, old_starts)
            earliest = old_starts[0]
        elif roll < 0.22:
            # Swapped: an earlier license was unbound part-used (Deactivated) a while back.
            old_type = self.pick_type(device.model.code)
            old = self.new_license(old_type, owner)
            gap_end = starts[0] - timedelta(days=self.rng.uniform(1, 20))
            old_starts = self.windows_ending(
                old_type, self.rng.randint(1, self.max_charges(old_type) // 3 + 1), gap_end
            )
            self.sell_down(
                old, before=old_starts[0] - timedelta(days=2), last_hop=self.owner_binds()
            )
            self.charge(old, device, old_starts)
            earliest = old_starts[0]
        self.sell_down(
            plan, before=min(earliest, starts[0]) - timedelta(days=2), last_hop=self.owner_binds()
        )
        self.bind(plan, device, starts[0] - timedelta(hours=self.rng.uniform(1, 72)))
        self.charge(plan, device, starts)
        if self.rng.random() < 0.10:
            # A spare bound license, charged only when the current one runs out: Inactive.
            spare = self.new_license(self.pick_type(device.model.code), owner)
            bound_at = self.days_ago(1, 20)
            self.sell_down(spare, before=bound_at, last_hop=self.owner_binds())
            self.bind(spare, device, bound_at)

    def fail(self, device: Device, owner: Customer, at: datetime) -> None:
        device.service_until = at
        device.blacklisted = True
        device.blacklisted_at = at
        device.blacklist_reason = NO_VALID_LICENSE
        self.deductions.append(
            Deduction(
                at=at,
                device=device,
                license=None,
                customer=owner,
                days=0,
                window_start=at,
                trigger=DeductionTrigger.SWEEP,
                result=DeductionResult.FAILED,
                reason=NO_VALID_LICENSE,
            )
        )

    def unused_licenses(self) -> None:
        holders = [self.platform] * 3 + self.distributors * 4 + self.dealers * 3 + self.fleets
        types = list(self.license_types.values())
        for _ in range(self.count(UNUSED_LICENSES)):
            owner = self.rng.choice(holders)
            plan = self.new_license(self.rng.choice(types), owner)
            self.sell_down(plan, before=self.days_ago(1, 30))
            children = [c for c in self.by_pk.values() if c.parent_id == owner.pk]
            if children and self.rng.random() < 0.08:
                # Sold one level further, then returned (wrong model range ordered, say).
                child = self.rng.choice(children)
                sold = plan.hops[-1][3] if plan.hops else plan.license.created_at
                sold += timedelta(days=self.rng.uniform(0.5, 3))
                plan.hops.append((owner, child, TransferMethod.SELL, sold))
                plan.hops.append(
                    (
                        child,
                        owner,
                        TransferMethod.RETURN,
                        sold + timedelta(days=self.rng.uniform(1, 10)),
                    )
                )
            plan.license.locked = self.rng.random() < 0.05

    def top_up_some(self) -> None:
        running = [
            p
            for p in self.plans
            if p.license.device is not None and p.charges and p.license.available_days > 0
        ]
        by_license: dict[int, list[Deduction]] = {}
        for deduction in self.deductions:
            if deduction.license is not None:
                by_license.setdefault(id(deduction.license), []).append(deduction)
        for plan in self.rng.sample(running, k=min(len(running), self.count(60))):
            days = self.rng.choice([30, 90, 365])
            at = plan.first_charge_at + (self.now - plan.first_charge_at) * self.rng.uniform(
                0.1, 0.9
            )
            plan.license.total_days += days
            plan.license.available_days += days
            self.top_ups.append(
                TopUp(at=at, license=plan.license, days=days, account=self.platform_admin)
            )
            # Keep each deduction's "available after" true to the order of events.
            for deduction in by_license.get(id(plan.license), []):
                if deduction.at >= at:
                    deduction.available_days_after += days

    # --- writing --------------------------------------------------------------------------

    def write(self) -> None:
        # Rows refer to objects saved just before them: bulk_create takes their new keys.
        self.bulk(Device, self.devices, "devices")
        # Card numbers in issue order, as licenses_issue numbers them; it continues after these.
        self.plans.sort(key=lambda plan: plan.license.created_at)
        for sequence, plan in enumerate(self.plans, start=1):
            plan.license.card = f"{CARD_PREFIX}{sequence:0{CARD_DIGITS}d}"
        self.bulk(License, [p.license for p in self.plans], "licenses")
        transfers = []
        batches: dict[tuple, uuid.UUID] = {}
        for plan in self.plans:
            for sender, receiver, method, at in plan.hops:
                # One batch per sender, receiver, method and day: one operation (an order may
                # mix license types).
                key = (sender.pk, receiver.pk, method, at.date())
                batch = batches.setdefault(key, uuid.UUID(int=self.rng.getrandbits(128), version=4))
                transfers.append(
                    Transfer(
                        at=at,
                        license=plan.license,
                        type=plan.license.type,
                        from_customer=sender,
                        to_customer=receiver,
                        method=method,
                        batch=batch,
                        account=self.operators.get(sender.pk),
                        account_username=getattr(self.operators.get(sender.pk), "username", ""),
                    )
                )
        self.bulk(Transfer, transfers, "sales records")
        self.bulk(Deduction, self.deductions, "deductions")
        self.bulk(TopUp, self.top_ups, "top-ups")

    def bulk(self, model, rows: list, label: str) -> None:
        total = len(rows)
        for start in range(0, total, BULK_BATCH_SIZE):
            model.objects.bulk_create(rows[start : start + BULK_BATCH_SIZE])
            done = min(start + BULK_BATCH_SIZE, total)
            if done == total or done % PROGRESS_EVERY == 0:
                self.progress(f"{label}: {done:,}/{total:,}")
