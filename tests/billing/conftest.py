from datetime import timedelta

import pytest
from django.db import connection

from tests import factories

NOW = factories.NOW
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def owner(db):
    platform = factories.make_customer(name="Platform")
    return factories.make_customer(parent=platform, name="Fleet")


@pytest.fixture
def model(db):
    return factories.make_device_model()


@pytest.fixture
def license_type(model):
    return factories.make_license_type(models=[model])


def bound_license(*, device, activated_at=None, bound_at=NOW - DAY, **fields):
    """A license of the device's owner bound to `device` (in use if `activated_at` is given)."""
    fields.setdefault("customer", device.customer)
    if "type" not in fields:
        fields["type"] = factories.make_license_type(models=[device.model])
    return factories.make_license(
        device=device, bound_at=bound_at, activated_at=activated_at, **fields
    )


requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so the race cannot happen there",
)
