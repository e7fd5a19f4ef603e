from __future__ import annotations

import pytest
from django.db import transaction

from daypass.events.emit import event_emit
from daypass.webhooks.services import endpoint_create
from tests.factories import NOW
from tests.webhooks.receiver import Receiver


@pytest.fixture(autouse=True)
def private_addresses_allowed(settings):
    """The receiver listens on 127.0.0.1 over http: allowed as on an on-premise installation."""
    settings.DAYPASS_WEBHOOK_ALLOW_PRIVATE = True
    settings.DAYPASS_WEBHOOK_TIMEOUT_SECONDS = 1.0


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def make_endpoint(admin, receiver, *, events=(), include_subcustomers=False, now=NOW):
    endpoint, secret = endpoint_create(
        actor=admin,
        customer=admin.customer,
        url=receiver.url,
        events=list(events),
        include_subcustomers=include_subcustomers,
        now=now,
    )
    receiver.secrets.append(secret)
    return endpoint


def emit(customer, type="license.expired", data=None, now=NOW):
    with transaction.atomic():
        return event_emit(type=type, customer=customer, data=data or {"n": 1}, now=now)
