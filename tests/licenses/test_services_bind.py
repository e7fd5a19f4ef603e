import pytest

from daypass.core.errors import DaypassError, NotFound
from daypass.core.models import AuditEvent
from daypass.devices.models import Device
from daypass.licenses.models import License, Transfer
from daypass.licenses.services import license_bind, license_unbind
from daypass.licenses.status import license_status
from tests import factories


def blacklist(device):
    Device.objects.filter(pk=device.pk).update(
        blacklisted=True, blacklisted_at=factories.NOW, blacklist_reason="no_valid_license"
    )


@pytest.mark.django_db
def test_bind_to_own_device_binds_without_a_transfer(tree, license_type, dealer_device, now):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    license_bind(actor=tree.dealer_operator, license=license, device=dealer_device, now=now)

    stored = License.objects.get(pk=license.pk)
    assert (stored.device, stored.bound_at, stored.customer) == (dealer_device, now, tree.dealer)
    assert license_status(stored) == "inactive"
    assert Transfer.objects.count() == 0
    event = AuditEvent.objects.get(action="license.bind")
    assert event.target == license.card
    assert event.details["device"] == dealer_device.number


@pytest.mark.django_db
def test_bind_to_a_sub_customers_device_transfers_the_license_first(
    tree, license_type, fleet_device, now
):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    license_bind(actor=tree.dealer_admin, license=license, device=fleet_device, now=now)

    stored = License.objects.get(pk=license.pk)
    assert (stored.device, stored.customer) == (fleet_device, tree.fleet)
    transfer = Transfer.objects.get()
    assert (transfer.from_customer, transfer.to_customer, transfer.method) == (
        tree.dealer,
        tree.fleet,
        "bind",
    )
    assert (transfer.license, transfer.type, transfer.account, transfer.at) == (
        stored,
        license_type,
        tree.dealer_admin,
        now,
    )


@pytest.mark.django_db
def test_bind_lifts_the_blacklist_when_the_license_can_pay_a_charge(
    tree, license_type, dealer_device, now
):
    blacklist(dealer_device)
    license = factories.make_license(customer=tree.dealer, type=license_type)

    license_bind(actor=tree.dealer_admin, license=license, device=dealer_device, now=now)

    assert Device.objects.get(pk=dealer_device.pk).blacklisted is False
    assert AuditEvent.objects.filter(
        action="device.blacklist_clear", target=dealer_device.number
    ).exists()


@pytest.mark.django_db
def test_bind_keeps_the_blacklist_when_the_license_cannot_pay_a_charge(
    tree, device_model, dealer_device, now
):
    blacklist(dealer_device)
    license_type = factories.make_license_type(models=[device_model], days=10, charge_days=3)
    license = factories.make_license(customer=tree.dealer, type=license_type, available_days=2)

    license_bind(actor=tree.dealer_admin, license=license, device=dealer_device, now=now)

    assert License.objects.get(pk=license.pk).device == dealer_device
    assert Device.objects.get(pk=dealer_device.pk).blacklisted is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "code"),
    [
        pytest.param({"locked": True}, "license_locked", id="locked"),
        pytest.param({"available_days": 0}, "license_expired", id="expired"),
        pytest.param({"bound": True}, "license_bound", id="bound"),
    ],
)
def test_bind_refuses_a_license_in_the_wrong_state(
    tree, license_type, dealer_device, device_model, now, unchanged, fields, code
):
    fields = dict(fields)  # the parameter is shared between runs: never mutate it
    if fields.pop("bound", False):
        other = factories.make_device(customer=tree.dealer, model=device_model)
        fields.update(device=other, bound_at=now)
    license = factories.make_license(customer=tree.dealer, type=license_type, **fields)

    with unchanged(), pytest.raises(DaypassError) as error:
        license_bind(actor=tree.dealer_admin, license=license, device=dealer_device, now=now)

    assert error.value.code == code


@pytest.mark.django_db
def test_bind_refuses_a_device_outside_the_model_range(tree, license_type, now, unchanged):
    other_model = factories.make_device(customer=tree.dealer, model=factories.make_device_model())
    license = factories.make_license(customer=tree.dealer, type=license_type)

    with unchanged(), pytest.raises(DaypassError) as error:
        license_bind(actor=tree.dealer_admin, license=license, device=other_model, now=now)

    assert error.value.code == "model_mismatch"


@pytest.mark.django_db
def test_superior_cannot_bind_a_sub_customers_license_to_its_own_device(
    tree, license_type, device_model, now, unchanged
):
    # given: the dealer allows its superiors to manage its licenses
    tree.dealer.allow_superior_manage_licenses = True
    tree.dealer.save()
    distributor_device = factories.make_device(customer=tree.distributor, model=device_model)
    license = factories.make_license(customer=tree.dealer, type=license_type)

    with unchanged(), pytest.raises(DaypassError) as error:
        license_bind(
            actor=tree.distributor_admin, license=license, device=distributor_device, now=now
        )

    assert error.value.code == "device_not_in_subtree"


@pytest.mark.django_db
def test_bind_to_a_device_the_actor_cannot_see_is_not_found(
    tree, license_type, device_model, now, unchanged
):
    sibling_device = factories.make_device(customer=tree.sibling, model=device_model)
    license = factories.make_license(customer=tree.dealer, type=license_type)

    with unchanged(), pytest.raises(NotFound):
        license_bind(actor=tree.dealer_admin, license=license, device=sibling_device, now=now)


@pytest.mark.django_db
def test_when_several_preconditions_fail_the_state_of_the_license_comes_before_the_model(
    tree, now, unchanged
):
    wrong_model = factories.make_device(customer=tree.dealer, model=factories.make_device_model())
    license = factories.make_license(customer=tree.dealer, locked=True)

    with unchanged(), pytest.raises(DaypassError) as error:
        license_bind(actor=tree.dealer_admin, license=license, device=wrong_model, now=now)

    assert error.value.code == "license_locked"


@pytest.mark.django_db
@pytest.mark.parametrize(("activated", "status_after"), [(True, "deactivated"), (False, "unused")])
def test_unbind_clears_the_binding_and_the_device_keeps_its_paid_time(
    tree, license_type, dealer_device, now, activated, status_after
):
    Device.objects.filter(pk=dealer_device.pk).update(service_until=factories.NOW)
    license = factories.make_license(
        customer=tree.dealer,
        type=license_type,
        device=dealer_device,
        bound_at=now,
        activated_at=now if activated else None,
    )

    license_unbind(actor=tree.dealer_operator, license=license, now=now)

    stored = License.objects.get(pk=license.pk)
    assert (stored.device, stored.bound_at) == (None, None)
    assert license_status(stored) == status_after
    assert Device.objects.get(pk=dealer_device.pk).service_until == factories.NOW
    event = AuditEvent.objects.get(action="license.unbind")
    assert (event.target, event.details["device"]) == (license.card, dealer_device.number)


@pytest.mark.django_db
def test_unbind_needs_a_bound_license(tree, license_type, now, unchanged):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    with unchanged(), pytest.raises(DaypassError) as error:
        license_unbind(actor=tree.dealer_admin, license=license, now=now)

    assert error.value.code == "license_not_bound"


@pytest.mark.django_db
def test_an_unbound_license_can_be_bound_again_to_another_device(
    tree, license_type, dealer_device, fleet_device, now
):
    license = factories.make_license(customer=tree.dealer, type=license_type)
    license_bind(actor=tree.dealer_admin, license=license, device=dealer_device, now=now)
    license_unbind(actor=tree.dealer_admin, license=license, now=now)

    license_bind(actor=tree.dealer_admin, license=license, device=fleet_device, now=now)

    assert License.objects.get(pk=license.pk).device == fleet_device
