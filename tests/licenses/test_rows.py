import pytest

from daypass.licenses import rows
from daypass.licenses.models import License
from tests import factories


@pytest.mark.django_db
def test_locking_a_license_whose_device_changes_meanwhile_retries_with_the_new_device(
    tree, license_type, dealer_device, fleet_device, monkeypatch
):
    license = factories.make_license(
        customer=tree.dealer, type=license_type, device=dealer_device, bound_at=factories.NOW
    )
    real_lock_device = rows.lock_device
    locked_devices = []

    def lock_device_while_someone_rebinds(pk):
        if not locked_devices:
            # between our read and our lock, another transaction moved the license
            License.objects.filter(pk=license.pk).update(device=fleet_device)
        locked_devices.append(pk)
        return real_lock_device(pk)

    monkeypatch.setattr(rows, "lock_device", lock_device_while_someone_rebinds)

    fresh, device = rows.lock_license_with_its_device(license)

    # The retry took the device the license named after the change. (Here the simulated change
    # is rolled back with the first attempt's savepoint, so the license later names its first
    # device again and a third attempt follows; a real concurrent change stays committed.)
    assert locked_devices[:2] == [dealer_device.pk, fleet_device.pk]
    assert fresh.device_id == device.pk
    assert License.objects.get(pk=license.pk).device_id == device.pk
