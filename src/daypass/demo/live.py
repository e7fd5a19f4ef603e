"""The last two days of `daypass demo`, made by the real services and the billing engine.

Every record here (sales, device moves, binds, charges, returns, locks, top-ups, a device
taken off the blacklist) is written by the same code the UI and the API call, with its audit event.
(The module name starts with "_" so Django does not take it for a command.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from daypass.billing.deduction import device_charge
from daypass.billing.models import DeductionTrigger
from daypass.customers.models import Account, Customer, Role
from daypass.customers.services import customer_settings_update
from daypass.devices.models import Device, DeviceModel
from daypass.devices.services import device_register, devices_transfer
from daypass.licenses.models import License, LicenseType
from daypass.licenses.services import (
    license_bind,
    license_lock,
    license_top_up,
    license_unbind,
    licenses_issue,
    licenses_return,
    licenses_sell,
)

LIVE_DEVICE_NUMBER_BASE = 869_000_000_000_000


def live_history(
    *,
    now: datetime,
    platform_admin: Account,
    customers: list[Customer],
    device_models: dict[str, DeviceModel],
    license_types: dict[str, LicenseType],
    progress,
) -> None:
    progress("the last two days through the services: issue, sell, bind, charge, return")
    distributor = next(c for c in customers if c.depth == 1)
    dealer = next(c for c in customers if c.parent_id == distributor.pk)
    fleet = next(c for c in customers if c.parent_id == dealer.pk)
    distributor_operator = _account(distributor, Role.OPERATOR)
    dealer_operator = _account(dealer, Role.OPERATOR)
    fleet_operator = _account(fleet, Role.OPERATOR)
    adas = license_types["ADAS-365"]
    start = now - timedelta(days=2)

    def at(hours: float) -> datetime:
        return start + timedelta(hours=hours)

    # A new order: issued straight to the distributor, which sells on down to a fleet.
    issued = licenses_issue(
        actor=platform_admin, license_type=adas, quantity=40, customer=distributor, now=at(0)
    )
    licenses_sell(actor=distributor_operator, licenses=issued[:30], to=dealer, now=at(1))
    licenses_sell(actor=dealer_operator, licenses=issued[:10], to=fleet, now=at(2))

    # New cameras registered to the dealer, six of them sold on to the fleet.
    devices = [
        device_register(
            actor=platform_admin,
            number=f"{LIVE_DEVICE_NUMBER_BASE + i:015d}",
            model=device_models["AD-Plus" if i % 2 else "MX-C6"],
            customer=dealer,
            now=at(2.5),
        )
        for i in range(1, 9)
    ]
    devices_transfer(actor=dealer_operator, devices=devices[:6], to=fleet, now=at(3))

    # The fleet binds four of its licenses; the dealer binds one of its own to a fleet
    # device, which moves that license to the fleet (a `bind` sales record).
    for license, device in zip(issued[:4], devices[:4], strict=True):
        license_bind(actor=fleet_operator, license=license, device=device, now=at(4))
    license_bind(actor=dealer_operator, license=issued[10], device=devices[4], now=at(4.5))

    # The fleet's admin lets its superiors' admins manage its licenses (SPEC 5); the dealer's
    # admin then binds one of the fleet's own licenses to another of its devices.
    customer_settings_update(
        actor=_account(fleet, Role.ADMIN),
        customer=fleet,
        allow_superior_manage_licenses=True,
        now=at(4.6),
    )
    license_bind(
        actor=_account(dealer, Role.ADMIN), license=issued[7], device=devices[5], now=at(4.7)
    )

    # Three of them report and are charged; the fourth stays in the depot (Inactive).
    charged = [_fresh(d) for d in devices[:3]]
    for device in charged:
        device_charge(device=device, now=at(5), trigger=DeductionTrigger.REPORT)
    # One license is taken off its device before the day is over: Deactivated.
    license_unbind(actor=fleet_operator, license=issued[2], now=at(20))
    # A day later the sweep charges the two still bound for their second day.
    for device in charged[:2]:
        device = _fresh(device)
        device_charge(device=device, now=device.service_until, trigger=DeductionTrigger.SWEEP)

    # The dealer returns five it will not need; the fleet locks two as its reserve.
    licenses_return(actor=dealer_operator, licenses=issued[20:25], now=at(26))
    for license in issued[5:7]:
        license_lock(actor=fleet_operator, license=license, now=at(27))
    # The platform adds a month to a license in use, and to the used-up license of a
    # blacklisted device (its customer paid): the top-up takes the device off the blacklist.
    license_top_up(actor=platform_admin, license=issued[0], days=30, now=at(30))
    used_up = (
        License.objects.filter(device__blacklisted=True, available_days=0).order_by("card").first()
    )
    if used_up is not None:
        license_top_up(actor=platform_admin, license=used_up, days=30, now=at(31))


def _account(customer: Customer, role: Role) -> Account:
    return customer.accounts.get(role=role)


def _fresh(device: Device) -> Device:
    return Device.objects.get(pk=device.pk)
