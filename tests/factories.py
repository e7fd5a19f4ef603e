"""Small factories for tests. Everything is created through the services where one exists."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

from daypass.customers.accounts import account_create
from daypass.customers.models import Account, Customer
from daypass.customers.services import customer_create
from daypass.devices.models import Device, DeviceModel
from daypass.licenses.models import License, LicenseType

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery"

_seq = itertools.count(1)


def make_customer(*, parent: Customer | None = None, name: str | None = None) -> Customer:
    return customer_create(
        actor=None, parent=parent, name=name or f"Customer {next(_seq)}", now=NOW
    )


def make_account(customer: Customer, role: str = "admin", username: str | None = None) -> Account:
    return account_create(
        actor=None,
        customer=customer,
        username=username or f"{role}{next(_seq)}",
        password=PASSWORD,
        role=role,
        now=NOW,
    )


def make_device_model(code: str | None = None) -> DeviceModel:
    code = code or f"MX-{next(_seq)}"
    return DeviceModel.objects.get_or_create(code=code, defaults={"name": code})[0]


def make_license_type(
    *,
    code: str | None = None,
    days: int = 365,
    models: list[DeviceModel] | None = None,
    charge_days: int = 1,
    period_hours: int = 24,
) -> LicenseType:
    license_type = LicenseType.objects.create(
        code=code or f"LT-{next(_seq)}",
        name="Test license",
        days=days,
        charge_days=charge_days,
        period_hours=period_hours,
    )
    license_type.device_models.set(models if models is not None else [make_device_model()])
    return license_type


def make_device(
    *, customer: Customer, model: DeviceModel | None = None, number: str | None = None, **fields
) -> Device:
    return Device.objects.create(
        number=number or f"86{next(_seq):013d}",
        model=model or make_device_model(),
        customer=customer,
        registered_at=NOW,
        **fields,
    )


def make_license(
    *, customer: Customer, type: LicenseType | None = None, card: str | None = None, **fields
) -> License:
    """A license row as a test needs it (bypasses services on purpose: to set up any state)."""
    license_type = type or make_license_type()
    days = fields.pop("total_days", license_type.days)
    return License.objects.create(
        card=card or f"T{next(_seq):011d}",
        type=license_type,
        customer=customer,
        issued_days=days,
        total_days=days,
        available_days=fields.pop("available_days", days),
        created_at=NOW,
        **fields,
    )


@dataclass
class Tree:
    platform: Customer
    distributor: Customer
    dealer: Customer
    fleet: Customer
    sibling: Customer
    platform_admin: Account
    distributor_admin: Account
    distributor_operator: Account
    distributor_viewer: Account
    dealer_admin: Account
    dealer_operator: Account
    dealer_viewer: Account
    fleet_admin: Account
    sibling_admin: Account


def make_tree() -> Tree:
    platform = make_customer(name="Platform")
    distributor = make_customer(parent=platform, name="Distributor")
    dealer = make_customer(parent=distributor, name="Dealer")
    fleet = make_customer(parent=dealer, name="Fleet")
    sibling = make_customer(parent=platform, name="Sibling distributor")
    return Tree(
        platform=platform,
        distributor=distributor,
        dealer=dealer,
        fleet=fleet,
        sibling=sibling,
        platform_admin=make_account(platform, "admin"),
        distributor_admin=make_account(distributor, "admin"),
        distributor_operator=make_account(distributor, "operator"),
        distributor_viewer=make_account(distributor, "viewer"),
        dealer_admin=make_account(dealer, "admin"),
        dealer_operator=make_account(dealer, "operator"),
        dealer_viewer=make_account(dealer, "viewer"),
        fleet_admin=make_account(fleet, "admin"),
        sibling_admin=make_account(sibling, "admin"),
    )
