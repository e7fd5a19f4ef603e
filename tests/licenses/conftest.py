import pytest

from daypass.core.models import AuditEvent
from daypass.devices.models import Device
from daypass.licenses.models import License, TopUp, Transfer
from tests import factories


@pytest.fixture
def device_model(db):
    return factories.make_device_model("MX-C6")


@pytest.fixture
def license_type(device_model):
    return factories.make_license_type(code="ADAS-365", days=365, models=[device_model])


@pytest.fixture
def dealer_device(tree, device_model):
    return factories.make_device(customer=tree.dealer, model=device_model, number="DEV-DEALER")


@pytest.fixture
def fleet_device(tree, device_model):
    return factories.make_device(customer=tree.fleet, model=device_model, number="DEV-FLEET")


def database_state() -> dict:
    """Everything a license operation may change, to show that a failure changed nothing."""
    return {
        "licenses": list(
            License.objects.order_by("pk").values(
                "card",
                "customer_id",
                "total_days",
                "available_days",
                "device_id",
                "bound_at",
                "locked",
                "activated_at",
            )
        ),
        "devices": list(
            Device.objects.order_by("pk").values("number", "customer_id", "blacklisted")
        ),
        "transfers": Transfer.objects.count(),
        "top_ups": TopUp.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


@pytest.fixture
def unchanged():
    """`with unchanged(): ...` asserts the block left the database as it found it."""

    class Unchanged:
        def __enter__(self):
            self.before = database_state()

        def __exit__(self, *exc):
            assert database_state() == self.before
            return False

    return Unchanged
