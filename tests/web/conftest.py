import pytest
from django.test import Client

from tests import factories


@pytest.fixture
def login():
    """A logged-in test client for `account`."""

    def log_in(account) -> Client:
        client = Client()
        client.force_login(account)
        return client

    return log_in


@pytest.fixture
def catalog(tree):
    """Two license types, licenses in every status for the distributor, a device of each model."""
    mx = factories.make_device_model("MX-C6")
    dv = factories.make_device_model("DV-200")
    adas = factories.make_license_type(code="ADAS-365", days=365, models=[mx])
    dash = factories.make_license_type(code="DASH-30", days=30, models=[dv])
    device = factories.make_device(customer=tree.distributor, model=mx, number="860000000000001")
    other_model_device = factories.make_device(
        customer=tree.distributor, model=dv, number="860000000000002"
    )
    now = factories.NOW
    licenses = {
        "unused": factories.make_license(customer=tree.distributor, type=adas, card="L0001"),
        "unused2": factories.make_license(customer=tree.distributor, type=adas, card="L0002"),
        "low": factories.make_license(
            customer=tree.distributor, type=dash, card="L0003", available_days=5, total_days=30
        ),
        "in_use": factories.make_license(
            customer=tree.distributor,
            type=adas,
            card="L0004",
            device=device,
            bound_at=now,
            activated_at=now,
            available_days=20,
        ),
        "expired": factories.make_license(
            customer=tree.distributor, type=dash, card="L0005", available_days=0
        ),
        "locked": factories.make_license(
            customer=tree.distributor, type=adas, card="L0006", locked=True
        ),
    }
    return {
        "adas": adas,
        "dash": dash,
        "device": device,
        "other_model_device": other_model_device,
        "licenses": licenses,
        "mx": mx,
        "dv": dv,
    }
