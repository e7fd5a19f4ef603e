import pytest

from daypass.core.errors import DaypassError, Forbidden, NotFound, ValidationFailed
from daypass.core.models import AuditEvent
from daypass.devices.models import Device, DeviceModel
from daypass.devices.services import (
    device_clear_blacklist,
    device_model_create,
    device_register,
    devices_transfer,
)
from daypass.licenses.models import License, Transfer
from tests import factories


@pytest.mark.django_db
def test_device_model_create(tree, now):
    created = device_model_create(actor=tree.platform_admin, code="MX-C6", name="Camera", now=now)

    assert DeviceModel.objects.get(code="MX-C6") == created
    assert AuditEvent.objects.filter(action="device_model.create", target="MX-C6").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["", "   ", "X" * 65])
def test_device_model_code_must_be_1_to_64_characters(tree, now, code):
    with pytest.raises(ValidationFailed) as error:
        device_model_create(actor=tree.platform_admin, code=code, name="", now=now)

    assert error.value.field == "code"


@pytest.mark.django_db
def test_device_model_codes_are_unique(tree, device_model, now):
    with pytest.raises(ValidationFailed):
        device_model_create(actor=tree.platform_admin, code="MX-C6", name="again", now=now)


@pytest.mark.django_db
def test_only_the_platform_admin_creates_device_models(tree, now):
    with pytest.raises(Forbidden):
        device_model_create(actor=tree.distributor_admin, code="MX-Z", name="", now=now)


@pytest.mark.django_db
def test_device_register_for_a_customer(tree, device_model, now):
    device = device_register(
        actor=tree.platform_admin,
        number="860000000000001",
        model=device_model,
        customer=tree.dealer,
        now=now,
    )

    stored = Device.objects.get(number="860000000000001")
    assert stored == device
    assert (stored.customer, stored.model, stored.service_until, stored.blacklisted) == (
        tree.dealer,
        device_model,
        None,
        False,
    )
    event = AuditEvent.objects.get(action="device.register")
    assert event.details["customer"] == tree.dealer.number


@pytest.mark.django_db
def test_device_numbers_are_unique(tree, device_model, now):
    factories.make_device(customer=tree.fleet, model=device_model, number="DUP")

    with pytest.raises(ValidationFailed) as error:
        device_register(
            actor=tree.platform_admin,
            number="DUP",
            model=device_model,
            customer=tree.dealer,
            now=now,
        )

    assert error.value.field == "number"


@pytest.mark.django_db
def test_only_the_platform_admin_registers_devices(tree, device_model, now):
    with pytest.raises(Forbidden):
        device_register(
            actor=tree.dealer_admin, number="N1", model=device_model, customer=tree.dealer, now=now
        )


@pytest.mark.django_db
def test_device_transfer_takes_its_bound_licenses_along(tree, device_model, license_type, now):
    device = factories.make_device(customer=tree.dealer, model=device_model)
    bound = [
        factories.make_license(customer=tree.dealer, type=license_type, device=device, bound_at=now)
        for _ in range(2)
    ]
    unbound = factories.make_license(customer=tree.dealer, type=license_type)

    result = devices_transfer(actor=tree.dealer_operator, devices=[device], to=tree.fleet, now=now)

    assert Device.objects.get(pk=device.pk).customer == tree.fleet
    assert [d.number for d in result.devices] == [device.number]
    assert {lic.customer for lic in License.objects.filter(device=device)} == {tree.fleet}
    assert License.objects.get(pk=unbound.pk).customer == tree.dealer
    transfers = list(Transfer.objects.all())
    assert sorted(t.license.card for t in transfers) == sorted(lic.card for lic in bound)
    assert {(t.from_customer, t.to_customer, t.method, t.batch) for t in transfers} == {
        (tree.dealer, tree.fleet, "device", result.batch)
    }
    assert AuditEvent.objects.filter(action="device.transfer", target=str(result.batch)).exists()


@pytest.mark.django_db
def test_device_transfer_takes_a_device_back_from_a_sub_customer(
    tree, device_model, license_type, now
):
    # SPEC 3: the fleet's own licenses move only with its consent, by an admin.
    device = factories.make_device(customer=tree.fleet, model=device_model)
    license = factories.make_license(
        customer=tree.fleet, type=license_type, device=device, bound_at=now
    )
    tree.fleet.allow_superior_manage_licenses = True
    tree.fleet.save()

    devices_transfer(actor=tree.distributor_admin, devices=[device], to=tree.distributor, now=now)

    assert Device.objects.get(pk=device.pk).customer == tree.distributor
    assert License.objects.get(pk=license.pk).customer == tree.distributor


@pytest.mark.django_db
def test_an_operator_takes_back_a_device_that_carries_no_license(tree, device_model, now):
    device = factories.make_device(customer=tree.fleet, model=device_model)

    devices_transfer(actor=tree.dealer_operator, devices=[device], to=tree.dealer, now=now)

    assert Device.objects.get(pk=device.pk).customer == tree.dealer


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "switch", "code"),
    [
        ("dealer_operator", False, "forbidden"),
        ("dealer_operator", True, "forbidden"),
        ("dealer_admin", False, "superior_management_disabled"),
        ("distributor_admin", False, "superior_management_disabled"),
    ],
)
def test_moving_a_sub_customers_licenses_with_a_device_needs_an_admin_and_consent(
    tree, device_model, license_type, now, actor, switch, code
):
    # The attack of issue 8: a superior takes a sub-customer's device, and with it the
    # sub-customer's own licenses, to unbind and sell them.
    tree.fleet.allow_superior_manage_licenses = switch
    tree.fleet.save()
    own = factories.make_device(customer=tree.dealer, model=device_model)
    device = factories.make_device(customer=tree.fleet, model=device_model)
    license = factories.make_license(
        customer=tree.fleet, type=license_type, device=device, bound_at=now
    )
    acting = getattr(tree, actor)

    with pytest.raises(DaypassError) as error:
        devices_transfer(actor=acting, devices=[own, device], to=acting.customer, now=now)

    assert error.value.code == code
    assert Device.objects.get(pk=device.pk).customer == tree.fleet
    assert Device.objects.get(pk=own.pk).customer == tree.dealer
    assert License.objects.get(pk=license.pk).customer == tree.fleet
    assert not Transfer.objects.exists()


@pytest.mark.django_db
def test_moving_ones_own_licenses_with_a_device_needs_no_consent(
    tree, device_model, license_type, now
):
    device = factories.make_device(customer=tree.dealer, model=device_model)
    license = factories.make_license(
        customer=tree.dealer, type=license_type, device=device, bound_at=now
    )

    devices_transfer(actor=tree.dealer_operator, devices=[device], to=tree.fleet, now=now)

    assert License.objects.get(pk=license.pk).customer == tree.fleet


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "owner", "to", "error"),
    [
        ("dealer_admin", "dealer", "sibling", NotFound),
        ("dealer_admin", "distributor", "fleet", NotFound),
        ("fleet_admin", "dealer", "fleet", NotFound),
        ("dealer_viewer", "dealer", "fleet", Forbidden),
    ],
)
def test_device_transfer_stays_inside_the_actors_subtree(
    tree, device_model, now, actor, owner, to, error
):
    device = factories.make_device(customer=getattr(tree, owner), model=device_model)

    with pytest.raises(error):
        devices_transfer(
            actor=getattr(tree, actor), devices=[device], to=getattr(tree, to), now=now
        )

    assert Device.objects.get(pk=device.pk).customer == getattr(tree, owner)


@pytest.mark.django_db
def test_device_transfer_of_several_is_all_or_nothing(tree, device_model, now):
    mine = factories.make_device(customer=tree.dealer, model=device_model)
    not_mine = factories.make_device(customer=tree.sibling, model=device_model)

    with pytest.raises(NotFound):
        devices_transfer(actor=tree.dealer_admin, devices=[mine, not_mine], to=tree.fleet, now=now)

    assert Device.objects.get(pk=mine.pk).customer == tree.dealer


@pytest.mark.django_db
def test_device_transfer_of_nothing_is_a_validation_error(tree, now):
    with pytest.raises(ValidationFailed):
        devices_transfer(actor=tree.dealer_admin, devices=[], to=tree.fleet, now=now)


@pytest.mark.django_db
def test_platform_admin_clears_a_blacklist_by_hand(tree, device_model, now):
    device = factories.make_device(
        customer=tree.fleet,
        model=device_model,
        blacklisted=True,
        blacklisted_at=now,
        blacklist_reason="no_valid_license",
    )

    device_clear_blacklist(actor=tree.platform_admin, device=device, now=now, reason="paid by wire")

    stored = Device.objects.get(pk=device.pk)
    assert (stored.blacklisted, stored.blacklisted_at, stored.blacklist_reason) == (False, None, "")
    event = AuditEvent.objects.get(action="device.blacklist_clear")
    assert event.details["reason"] == "paid by wire"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "code"), [("fleet_admin", "forbidden"), ("sibling_admin", "not_found")]
)
def test_only_the_platform_admin_clears_a_blacklist_by_hand(tree, device_model, now, actor, code):
    device = factories.make_device(
        customer=tree.fleet, model=device_model, blacklisted=True, blacklisted_at=now
    )

    with pytest.raises(DaypassError) as error:
        device_clear_blacklist(actor=getattr(tree, actor), device=device, now=now, reason="x")

    assert error.value.code == code
    assert Device.objects.get(pk=device.pk).blacklisted is True


@pytest.mark.django_db
def test_device_transfer_to_the_current_owner_is_refused(tree, device_model, now):
    device = factories.make_device(customer=tree.fleet, model=device_model, number="AT-FLEET")

    with pytest.raises(ValidationFailed) as error:
        devices_transfer(actor=tree.dealer_admin, devices=[device], to=tree.fleet, now=now)

    assert error.value.field == "to"
    assert "Nothing to move: device AT-FLEET already belongs to Fleet" in error.value.message
    assert not AuditEvent.objects.filter(action="device.transfer").exists()


@pytest.mark.django_db
def test_device_transfer_leaves_devices_already_at_the_target_where_they_are(
    tree, device_model, now
):
    there = factories.make_device(customer=tree.fleet, model=device_model, number="AT-FLEET")
    moving = factories.make_device(customer=tree.dealer, model=device_model, number="AT-DEALER")

    devices_transfer(actor=tree.dealer_admin, devices=[there, moving], to=tree.fleet, now=now)

    assert set(Device.objects.filter(customer=tree.fleet).values_list("number", flat=True)) == {
        "AT-FLEET",
        "AT-DEALER",
    }
