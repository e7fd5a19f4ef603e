"""`daypass init`: create the platform customer and its administrator on an empty database."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from daypass.core import clock
from daypass.core.errors import ValidationFailed
from daypass.customers.accounts import account_create, password_check, username_clean
from daypass.customers.models import Account, Customer, Role
from daypass.customers.services import customer_create


class Command(BaseCommand):
    help = "Create the platform customer (the root of the tree) and its admin account."

    def add_arguments(self, parser):
        parser.add_argument("--platform", required=True, help="name of the platform customer")
        parser.add_argument("--admin", required=True, help="username of its admin account")
        parser.add_argument("--password", required=True, help="password of the admin account")

    def handle(self, *args, platform: str, admin: str, password: str, **options):
        customer, account = platform_init(
            platform_name=platform, admin_username=admin, admin_password=password
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created platform {customer.number} {customer.name!r} "
                f"and its admin account {account.username!r}."
            )
        )


def platform_init(
    *, platform_name: str, admin_username: str, admin_password: str
) -> tuple[Customer, Account]:
    """The rows a new database needs; refuses (CommandError) when a platform already exists."""
    platform_name = platform_name.strip()
    if not platform_name:
        raise CommandError("--platform must not be empty.")
    try:
        admin_username = username_clean(admin_username)
    except ValidationFailed as error:
        raise CommandError(f"--admin: {error.message}") from None
    try:
        password_check(admin_password, account=Account(username=admin_username))
    except ValidationFailed as error:
        raise CommandError(f"--password: {error.message}") from None

    now = clock.now()
    with transaction.atomic():
        existing = Customer.objects.select_for_update().filter(parent__isnull=True).first()
        if existing is not None:
            raise CommandError(
                f"A platform already exists ({existing.number} {existing.name!r}); "
                "init only sets up an empty database."
            )
        if Account.objects.filter(username=admin_username).exists():
            raise CommandError(f"An account named {admin_username!r} already exists.")
        customer = customer_create(actor=None, parent=None, name=platform_name, now=now)
        account = account_create(
            actor=None,
            customer=customer,
            username=admin_username,
            password=admin_password,
            role=Role.ADMIN,
            now=now,
        )
    return customer, account
