"""A real SMTP server for the mail tests (aiosmtpd on 127.0.0.1, started by the test)."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

SMTP_PORTS = range(8141, 8148)
# Nobody listens here: sending to it fails at once.
CLOSED_PORT = 8149
PUBLIC_URL = "https://console.example.com"


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 OK"


def start_smtp_server(handler) -> Controller:
    """On the first free port of this project's test range (runs may overlap)."""
    for port in SMTP_PORTS:
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        try:
            controller.start()
        except (OSError, RuntimeError):
            continue
        return controller
    raise RuntimeError(f"no free port in {SMTP_PORTS}")


@pytest.fixture
def smtp(settings):
    handler = Inbox()
    controller = start_smtp_server(handler)
    handler.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "daypass@example.com"
    settings.DAYPASS_PUBLIC_URL = PUBLIC_URL
    settings.DAYPASS_DIGEST_HOUR = 7
    yield handler
    controller.stop()
