"""`daypass init` sets up an empty database: the platform customer and its admin."""

import pytest
from django.core.management import CommandError, call_command

from daypass.core.models import AuditEvent
from daypass.customers.models import Account, Customer
from tests.core.conftest import daypass, embedded_env

pytestmark = pytest.mark.django_db


def init(**options):
    call_command("init", **options)


def test_init_creates_the_platform_and_its_admin():
    init(platform="Meridian Telematics", admin="root", password="a-strong-password")

    platform = Customer.objects.get()
    admin = Account.objects.get()
    assert platform.parent is None
    assert platform.name == "Meridian Telematics"
    assert platform.number.startswith("C")
    assert admin.username == "root"
    assert admin.customer == platform
    assert admin.role == "admin"
    assert admin.is_platform_admin
    assert admin.check_password("a-strong-password")


def test_init_writes_audit_events():
    init(platform="Meridian", admin="root", password="a-strong-password")

    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "customer.create",
        "account.create",
    }


def test_init_refuses_when_a_platform_exists():
    init(platform="Meridian", admin="root", password="a-strong-password")

    with pytest.raises(CommandError, match="platform already exists"):
        init(platform="Other", admin="root2", password="a-strong-password")

    assert Customer.objects.count() == 1
    assert Account.objects.count() == 1


def test_init_refuses_a_short_password():
    with pytest.raises(CommandError, match="--password"):
        init(platform="Meridian", admin="root", password="short")

    assert not Customer.objects.exists()


def test_init_refuses_an_empty_platform_name():
    with pytest.raises(CommandError, match="--platform"):
        init(platform="  ", admin="root", password="a-strong-password")


def test_init_needs_every_option():
    with pytest.raises(CommandError, match="--password"):
        call_command("init", "--platform", "Meridian", "--admin", "root")


def test_second_init_exits_non_zero_with_a_clear_message(data_dir):
    env = embedded_env(data_dir)
    assert daypass("migrate", "-v0", env=env).returncode == 0
    args = ("init", "--platform", "Meridian", "--admin", "root", "--password", "a-long-password")

    first = daypass(*args, env=env)
    second = daypass(*args, env=env)

    assert first.returncode == 0, first.stderr
    assert "Created platform C" in first.stdout
    assert second.returncode == 1
    assert "A platform already exists" in second.stderr
