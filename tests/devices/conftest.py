import pytest

from tests import factories


@pytest.fixture
def device_model(db):
    return factories.make_device_model("MX-C6")


@pytest.fixture
def license_type(device_model):
    return factories.make_license_type(code="ADAS-365", days=365, models=[device_model])
