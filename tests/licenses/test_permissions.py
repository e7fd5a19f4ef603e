"""The permission matrix of SPEC section 5: every operation × every kind of actor.

The license belongs to the dealer. The dealer's superiors are the distributor and the platform;
its sub-customer is the fleet; the sibling distributor is outside its subtree.
"""

import pytest

from daypass.core.errors import DaypassError
from daypass.licenses.models import License
from daypass.licenses.permissions import can_operate_license
from daypass.licenses.services import (
    license_bind,
    license_lock,
    license_top_up,
    license_unbind,
    license_unlock,
    licenses_return,
    licenses_sell,
)
from tests import factories

OK = "ok"
ACTORS = {
    # persona: (account attribute on the tree, dealer's switch on?)
    "owner admin": ("dealer_admin", False),
    "owner operator": ("dealer_operator", False),
    "owner viewer": ("dealer_viewer", False),
    "superior admin, switch off": ("distributor_admin", False),
    "superior admin, switch on": ("distributor_admin", True),
    "superior operator, switch on": ("distributor_operator", True),
    "sibling customer": ("sibling_admin", True),
    "sub-customer on its superior's license": ("fleet_admin", True),
}
EXPECTED = {
    "lock": [OK, OK, "forbidden", "forbidden", "forbidden", "forbidden", "not_found", "not_found"],
    "unlock": [
        OK,
        OK,
        "forbidden",
        "forbidden",
        "forbidden",
        "forbidden",
        "not_found",
        "not_found",
    ],
    "bind": [
        OK,
        OK,
        "forbidden",
        "superior_management_disabled",
        OK,
        "forbidden",
        "not_found",
        "not_found",
    ],
    "unbind": [
        OK,
        OK,
        "forbidden",
        "superior_management_disabled",
        OK,
        "forbidden",
        "not_found",
        "not_found",
    ],
    "sell": [OK, OK, "forbidden", "forbidden", "forbidden", "forbidden", "not_found", "not_found"],
    "top_up": [
        "forbidden",
        "forbidden",
        "forbidden",
        "forbidden",
        "forbidden",
        "forbidden",
        "not_found",
        "not_found",
    ],
    "return": [
        OK,
        OK,
        "forbidden",
        "superior_management_disabled",
        OK,
        "forbidden",
        "not_found",
        "not_found",
    ],
}
MATRIX = [
    pytest.param(operation, persona, outcome, id=f"{operation}-{persona}")
    for operation, outcomes in EXPECTED.items()
    for persona, outcome in zip(ACTORS, outcomes, strict=True)
]


def prepare(operation, tree, license_type, device):
    """A dealer license in the state the operation needs."""
    fields = {}
    if operation == "unlock":
        fields["locked"] = True
    if operation == "unbind":
        fields.update(device=device, bound_at=factories.NOW)
    return factories.make_license(customer=tree.dealer, type=license_type, **fields)


def perform(operation, actor, license, tree, device):
    now = factories.NOW
    match operation:
        case "lock":
            license_lock(actor=actor, license=license, now=now)
        case "unlock":
            license_unlock(actor=actor, license=license, now=now)
        case "bind":
            license_bind(actor=actor, license=license, device=device, now=now)
        case "unbind":
            license_unbind(actor=actor, license=license, now=now)
        case "sell":
            licenses_sell(actor=actor, licenses=[license], to=tree.fleet, now=now)
        case "return":
            licenses_return(actor=actor, licenses=[license], now=now)
        case "top_up":
            license_top_up(actor=actor, license=license, days=10, now=now)


def observable(license):
    row = License.objects.get(pk=license.pk)
    return (row.customer_id, row.locked, row.device_id, row.available_days)


@pytest.mark.django_db
@pytest.mark.parametrize(("operation", "persona", "outcome"), MATRIX)
def test_permission_matrix(tree, license_type, fleet_device, operation, persona, outcome):
    account_name, switch_on = ACTORS[persona]
    tree.dealer.allow_superior_manage_licenses = switch_on
    tree.dealer.save()
    actor = getattr(tree, account_name)
    actor.refresh_from_db()
    license = prepare(operation, tree, license_type, fleet_device)
    before = observable(license)

    if outcome == OK:
        perform(operation, actor, license, tree, fleet_device)
        assert observable(license) != before
    else:
        with pytest.raises(DaypassError) as error:
            perform(operation, actor, license, tree, fleet_device)
        assert error.value.code == outcome
        assert observable(license) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("operation", "persona", "outcome"), MATRIX)
def test_can_operate_license_agrees_with_the_matrix(
    tree, license_type, fleet_device, operation, persona, outcome
):
    account_name, switch_on = ACTORS[persona]
    tree.dealer.allow_superior_manage_licenses = switch_on
    tree.dealer.save()
    actor = getattr(tree, account_name)
    actor.refresh_from_db()
    license = License.objects.select_related("customer").get(
        pk=prepare(operation, tree, license_type, fleet_device).pk
    )

    assert can_operate_license(actor, license, operation) is (outcome == OK)


@pytest.mark.django_db
@pytest.mark.parametrize("operation", list(EXPECTED))
def test_a_gateway_account_may_do_nothing(tree, license_type, fleet_device, operation):
    gateway = factories.make_account(tree.platform, "gateway")
    license = prepare(operation, tree, license_type, fleet_device)

    with pytest.raises(DaypassError) as error:
        perform(operation, gateway, license, tree, fleet_device)

    assert error.value.code == "forbidden"


@pytest.mark.django_db
def test_only_the_platform_admin_tops_up(tree, license_type, fleet_device):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    perform("top_up", tree.platform_admin, license, tree, fleet_device)

    assert License.objects.get(pk=license.pk).available_days == license_type.days + 10
    assert can_operate_license(tree.platform_admin, license, "top_up") is True


@pytest.mark.django_db
def test_the_platform_admin_is_a_superior_like_any_other(tree, license_type, fleet_device):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    with pytest.raises(DaypassError) as error:
        license_bind(
            actor=tree.platform_admin, license=license, device=fleet_device, now=factories.NOW
        )
    assert error.value.code == "superior_management_disabled"

    with pytest.raises(DaypassError) as error:
        license_lock(actor=tree.platform_admin, license=license, now=factories.NOW)
    assert error.value.code == "forbidden"


@pytest.mark.django_db
def test_switching_off_again_stops_the_superior(tree, license_type, fleet_device):
    tree.dealer.allow_superior_manage_licenses = True
    tree.dealer.save()
    first = factories.make_license(customer=tree.dealer, type=license_type)
    license_bind(
        actor=tree.distributor_admin, license=first, device=fleet_device, now=factories.NOW
    )
    tree.dealer.allow_superior_manage_licenses = False
    tree.dealer.save()
    second = factories.make_license(customer=tree.dealer, type=license_type)

    with pytest.raises(DaypassError) as error:
        license_bind(
            actor=tree.distributor_admin, license=second, device=fleet_device, now=factories.NOW
        )

    assert error.value.code == "superior_management_disabled"
