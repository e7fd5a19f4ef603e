"""DAYPASS_EMAIL_URL (SPEC 12.2) → Django's EMAIL_* settings."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from daypass.core.email_config import email_settings

FOLDER = Path("/srv/daypass/data/mail")
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_default_is_files_under_the_data_folder():
    assert email_settings("", default_folder=FOLDER) == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(FOLDER),
    }


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "smtp://user:p%40ss@mail.example.com:587",
            {"EMAIL_HOST": "mail.example.com", "EMAIL_PORT": 587, "EMAIL_HOST_USER": "user"}
            | {"EMAIL_HOST_PASSWORD": "p@ss", "EMAIL_USE_SSL": False, "EMAIL_USE_TLS": False},
        ),
        (
            "smtp+ssl://user:pw@mail.example.com",
            {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False},
        ),
        (
            "smtp+tls://user:pw@mail.example.com:2525",
            {"EMAIL_PORT": 2525, "EMAIL_USE_SSL": False, "EMAIL_USE_TLS": True},
        ),
    ],
)
def test_smtp_urls(url, expected):
    config = email_settings(url, default_folder=FOLDER)
    assert config["EMAIL_BACKEND"] == SMTP
    assert config["EMAIL_TIMEOUT"] == 30
    assert {key: config[key] for key in expected} == expected


def test_console_and_file():
    assert email_settings("console:", default_folder=FOLDER)["EMAIL_BACKEND"] == (
        "django.core.mail.backends.console.EmailBackend"
    )
    config = email_settings("file:///var/mail/daypass", default_folder=FOLDER)
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert config["EMAIL_FILE_PATH"] == "/var/mail/daypass"


@pytest.mark.parametrize("url", ["gopher://x", "file://", "smtp+carrier-pigeon://x"])
def test_anything_else_is_a_configuration_error(url):
    with pytest.raises(ImproperlyConfigured):
        email_settings(url, default_folder=FOLDER)
