import pytest

from daypass.core.errors import NotFound, ValidationFailed
from daypass.devices.selectors import device_get, device_list
from tests import factories


@pytest.fixture
def devices(tree, device_model, license_type, now):
    other_model = factories.make_device_model("MX-D2")
    make = factories.make_device
    bound = make(customer=tree.dealer, model=device_model, number="D-1")
    make(
        customer=tree.dealer, model=other_model, number="D-2", blacklisted=True, blacklisted_at=now
    )
    make(customer=tree.fleet, model=device_model, number="F-1")
    make(customer=tree.sibling, model=device_model, number="S-1")
    for card in ("C-2", "C-1"):
        factories.make_license(
            customer=tree.dealer, type=license_type, card=card, device=bound, bound_at=now
        )


def numbers(queryset):
    return [device.number for device in queryset]


@pytest.mark.django_db
def test_device_get_is_scoped_to_the_subtree(tree, devices):
    device = device_get(tree.dealer_viewer, "F-1")

    assert device.customer == tree.fleet
    with pytest.raises(NotFound):
        device_get(tree.dealer_viewer, "S-1")
    with pytest.raises(NotFound):
        device_get(tree.fleet_admin, "D-1")


@pytest.mark.django_db
def test_device_get_lists_its_bound_licenses(tree, devices):
    device = device_get(tree.dealer_admin, "D-1")

    assert [lic.card for lic in device.licenses.all()] == ["C-1", "C-2"]


@pytest.mark.django_db
def test_device_list_shows_the_selected_customers_own_devices(tree, devices):
    assert numbers(device_list(tree.dealer_admin, None, {})) == ["D-1", "D-2"]
    assert numbers(device_list(tree.distributor_admin, tree.fleet.number, {})) == ["F-1"]
    with pytest.raises(NotFound):
        device_list(tree.dealer_admin, tree.sibling.number, {})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"number": "D-2"}, ["D-2"]),
        ({"model": "MX-C6"}, ["D-1"]),
        ({"blacklisted": "true"}, ["D-2"]),
        ({"blacklisted": "false"}, ["D-1"]),
    ],
)
def test_device_filters(tree, devices, filters, expected):
    assert numbers(device_list(tree.dealer_admin, None, filters)) == expected


@pytest.mark.django_db
def test_an_invalid_boolean_is_a_validation_error(tree):
    with pytest.raises(ValidationFailed) as error:
        device_list(tree.dealer_admin, None, {"blacklisted": "maybe"})

    assert error.value.field == "blacklisted"
