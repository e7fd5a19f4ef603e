"""`daypass demo`: a realistic customer tree with months of license history.

A platform (the manufacturer), 3 distributors, 9 dealers, 21 fleets, each with an admin, an
operator and a viewer; 5 device models; 5 license types; about 2,400 devices and 6,100 licenses
in every status, with sales, returns, binds, device moves, top-ups, daily charges and
blacklisted devices. Most of the history is written in bulk (see daypass/demo/history.py), ledger-
consistent so `daypass audit` passes; the last few days are made by the real services.
It loads only into an empty database (or one that has just had `daypass init`).
"""

from __future__ import annotations

import random
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils.text import slugify

from daypass.core import clock
from daypass.core.audit import audit_record
from daypass.customers.management.commands.init import platform_init
from daypass.customers.models import Account, Customer, Role
from daypass.customers.services import customer_create
from daypass.demo.history import DemoHistory
from daypass.demo.live import live_history
from daypass.demo.logins import demo_sample_logins
from daypass.demo.tree import (
    DEMO_ADMIN_USERNAME,
    DEMO_DEVICE_MODELS,
    DEMO_LICENSE_TYPES,
    DEMO_PASSWORD,
    DEMO_PLATFORM_NAME,
    DEMO_SEED,
    DEMO_TREE,
)
from daypass.devices.models import Device
from daypass.devices.services import device_model_create
from daypass.licenses.models import License
from daypass.licenses.services import license_type_create
from daypass.licenses.status import status_expression


class Command(BaseCommand):
    help = "Load a realistic demo tree with licenses, devices and history into an empty database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="multiply the number of devices and licenses (default 1.0: 2,400 and ~6,100)",
        )
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed")
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help=f"password of every demo account ({DEMO_PASSWORD})",
        )

    def handle(self, *args, scale: float, seed: int, password: str, **options):
        if not 0 < scale <= 20:
            raise CommandError("--scale must be greater than 0 and at most 20.")
        self.started = time.monotonic()
        refuse_unless_empty()
        now = clock.now()
        with transaction.atomic():
            platform, platform_admin, created_admin = self.platform(password)
            customers = self.tree(platform, now)
            accounts = self.accounts(customers, platform_admin, password, now)
            device_models, license_types = self.catalog(platform_admin, now)
            history = DemoHistory(
                rng=random.Random(seed),
                now=now,
                platform=platform,
                platform_admin=platform_admin,
                customers=customers,
                device_models=device_models,
                license_types=license_types,
                operators={a.customer_id: a for a in accounts if a.role == Role.OPERATOR},
                scale=scale,
                progress=self.progress,
            )
            history.build()
            history.write()
            live_history(
                now=now,
                platform_admin=platform_admin,
                customers=customers,
                device_models=device_models,
                license_types=license_types,
                progress=self.progress,
            )
            audit_record(
                actor=None,
                action="demo.load",
                now=now,
                acting_customer=platform,
                customers=len(customers),
                devices=len(history.devices),
                licenses=len(history.plans),
                deductions=len(history.deductions),
            )
        self.summary(platform_admin, password, created_admin)

    # --- steps ----------------------------------------------------------------------------

    def progress(self, message: str) -> None:
        self.stdout.write(f"[{time.monotonic() - self.started:5.1f}s] {message}")
        self.stdout.flush()

    def platform(self, password: str) -> tuple[Customer, Account, bool]:
        platform = Customer.objects.filter(parent__isnull=True).first()
        if platform is None:
            self.progress(f"platform {DEMO_PLATFORM_NAME!r} and its admin {DEMO_ADMIN_USERNAME!r}")
            platform, admin = platform_init(
                platform_name=DEMO_PLATFORM_NAME,
                admin_username=DEMO_ADMIN_USERNAME,
                admin_password=password,
            )
            platform.demo_slug = "platform"
            return platform, admin, True
        admin = platform.accounts.filter(role=Role.ADMIN).order_by("pk").first()
        if admin is None:
            raise CommandError(f"The platform {platform.number} has no admin account.")
        self.progress(f"using the platform {platform.number} {platform.name!r} made by init")
        platform.demo_slug = "platform"
        return platform, admin, False

    def tree(self, platform: Customer, now) -> list[Customer]:
        fleets = sum(len(f) for dealers in DEMO_TREE.values() for f in dealers.values())
        dealer_count = sum(len(d) for d in DEMO_TREE.values())
        self.progress(
            f"customers: {len(DEMO_TREE)} distributors, {dealer_count} dealers, {fleets} fleets"
        )
        customers = [platform]
        for distributor_name, dealers in DEMO_TREE.items():
            distributor = customer_create(
                actor=None, parent=platform, name=distributor_name, now=now
            )
            customers.append(distributor)
            for dealer_name, fleets in dealers.items():
                dealer = customer_create(actor=None, parent=distributor, name=dealer_name, now=now)
                customers.append(dealer)
                for fleet_name in fleets:
                    customers.append(
                        customer_create(actor=None, parent=dealer, name=fleet_name, now=now)
                    )
        taken = {"platform"}
        for customer in customers[1:]:
            customer.demo_slug = username_stem(customer.name, taken)
        return customers

    def accounts(self, customers, platform_admin, password: str, now) -> list[Account]:
        """admin, operator and viewer for every customer (the platform has its admin already)."""
        self.progress(f"accounts: {len(customers) * 3 - 1} (admin, operator, viewer each)")
        # One hash for all: hashing ~100 passwords one by one would take most of a minute.
        password_hash = make_password(password)
        rows = []
        for customer in customers:
            for role in (Role.ADMIN, Role.OPERATOR, Role.VIEWER):
                if customer.pk == platform_admin.customer_id and role == Role.ADMIN:
                    continue
                rows.append(
                    Account(
                        username=f"{customer.demo_slug}-{role.value}",
                        customer=customer,
                        role=role,
                        password=password_hash,
                        date_joined=now,
                    )
                )
        taken = set(
            Account.objects.filter(username__in=[a.username for a in rows]).values_list(
                "username", flat=True
            )
        )
        if taken:
            raise CommandError(f"Demo usernames already taken: {', '.join(sorted(taken))}.")
        return Account.objects.bulk_create(rows)

    def catalog(self, platform_admin: Account, now):
        self.progress(
            f"{len(DEMO_DEVICE_MODELS)} device models, {len(DEMO_LICENSE_TYPES)} license types"
        )
        device_models = {
            code: device_model_create(actor=platform_admin, code=code, name=name, now=now)
            for code, name in DEMO_DEVICE_MODELS.items()
        }
        license_types = {}
        for code, (name, days, models, charge_days, period_hours) in DEMO_LICENSE_TYPES.items():
            license_type = license_type_create(
                actor=platform_admin,
                code=code,
                name=name,
                days=days,
                models=[device_models[m] for m in models],
                charge_days=charge_days,
                period_hours=period_hours,
                now=now,
            )
            license_type.model_codes = set(models)
            license_types[code] = license_type
        return device_models, license_types

    def summary(self, platform_admin: Account, password: str, created_admin: bool) -> None:
        by_status = dict(
            License.objects.annotate(status=status_expression())
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded in {time.monotonic() - self.started:.1f}s: "
                f"{Customer.objects.count()} customers, {Device.objects.count():,} devices, "
                f"{License.objects.count():,} licenses ("
                + ", ".join(f"{status} {n:,}" for status, n in sorted(by_status.items()))
                + ")."
            )
        )
        admin_password = password if created_admin else "(the password given to init)"
        self.stdout.write(
            f"Log in as username {platform_admin.username!r}, password {admin_password!r} "
            "(platform admin)."
        )
        self.stdout.write(
            f"Sample logins (password {password!r}; every customer has <name>-admin, "
            "<name>-operator and <name>-viewer accounts):"
        )
        for line in sample_logins_table(demo_sample_logins()):
            self.stdout.write("  " + line)


def sample_logins_table(logins) -> list[str]:
    """The sample logins as a small text table: level, role, username, customer."""
    rows = [("level", "role", "username", "customer")] + [
        (login.level, login.role, login.username, login.customer_name) for login in logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]


def refuse_unless_empty() -> None:
    """The demo loads once: into an empty database, or one with only what init made."""
    reasons = []
    if Customer.objects.exclude(parent__isnull=True).exists():
        reasons.append("sub-customers")
    if Device.objects.exists():
        reasons.append("devices")
    if License.objects.exists():
        reasons.append("licenses")
    if reasons:
        raise CommandError(
            f"The database already has {', '.join(reasons)}: the demo data loads only into an "
            "empty database (or right after `daypass init`), and only once. To start over, stop "
            "daypass and delete the database (by default the ./data folder)."
        )


def username_stem(name: str, taken: set[str]) -> str:
    """The first word of the name, or more words until it is unique ("harbor", "harbor-city")."""
    words = name.split()
    for n in range(1, len(words) + 1):
        stem = slugify(" ".join(words[:n]))
        if stem not in taken:
            taken.add(stem)
            return stem
    raise CommandError(f"Two demo customers are both named {name!r}.")
