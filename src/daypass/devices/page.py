"""What the console's device page shows (SPEC 13): the device, its licenses, its latest
deductions and the transfers of its licenses, and the licenses that could be bound to it.

Scoped like every selector: a device outside the actor's subtree is `NotFound`; deductions are
those charged to a customer of the actor's subtree (a superior's earlier history stays hidden
from the device's later owners), transfers those in which such a customer took part.
"""

from __future__ import annotations

from dataclasses import dataclass

from daypass.billing.models import Deduction
from daypass.core.tenancy import visible_q, visible_to
from daypass.customers.models import Account
from daypass.devices.models import Device
from daypass.devices.selectors import device_get
from daypass.licenses.models import License, Transfer
from daypass.licenses.selectors import license_list, license_type_ids_fitting

DEVICE_PAGE_ROWS = 20
PICKER_LIMIT = 100


@dataclass(frozen=True)
class DevicePage:
    device: Device
    deductions: list[Deduction]
    transfers: list[Transfer]


def device_page(actor: Account, number: str) -> DevicePage:
    device = device_get(actor, number)
    deductions = list(
        visible_to(actor, Deduction.objects.filter(device=device))
        .select_related("license", "customer")
        .order_by("-at", "-id")[:DEVICE_PAGE_ROWS]
    )
    cards = [license.pk for license in device.licenses.all()]
    transfers = list(
        Transfer.objects.filter(license__in=cards)
        .filter(visible_q(actor, "from_customer") | visible_q(actor, "to_customer"))
        .select_related("license", "type", "from_customer", "to_customer")
        .order_by("-at", "-id")[:DEVICE_PAGE_ROWS]
    )
    return DevicePage(device=device, deductions=deductions, transfers=transfers)


def licenses_fitting_device(actor: Account, device: Device) -> list[License]:
    """The actor's own licenses that could be bound to `device`: unbound, unlocked, not Expired
    (Unused or Deactivated), the device's model in their type's range; by license code, then
    oldest card first, at most `PICKER_LIMIT`.

    One query per fitting license type, in code order, each reading the (customer, type, card)
    index in order until it has enough: ordering the whole list by the type's code sorted every
    eligible license of a fleet owning a million (3 s, bench/pages.py).
    """
    eligible = license_list(actor, actor.customer).filter(
        locked=False, available_days__gt=0, device__isnull=True
    )
    fitting: list[License] = []
    for type_id in license_type_ids_fitting(device.model_id):
        if len(fitting) >= PICKER_LIMIT:
            break
        fitting.extend(
            eligible.filter(type_id=type_id).order_by("card")[: PICKER_LIMIT - len(fitting)]
        )
    return fitting
