"""The demo's sample logins: one account per level of the tree × role.

`daypass demo` prints them when it has loaded (so the first `daypass run` shows them), and the
console's login page lists them while the database holds the demo, so nobody has to guess the
usernames from a pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import slugify

from daypass.demo.tree import DEMO_ADMIN_USERNAME, DEMO_TREE

LEVELS = ("platform", "distributor", "dealer", "fleet")
ROLES = ("admin", "operator", "viewer")


@dataclass(frozen=True)
class SampleLogin:
    level: str
    role: str
    username: str
    customer_name: str


def sample_usernames() -> list[tuple[str, str, str]]:
    """(level, role, username) for the first customer of every level of the demo tree."""
    distributor, dealers = next(iter(DEMO_TREE.items()))
    dealer, fleets = next(iter(dealers.items()))
    # The first customer of each level gets the first word of its name (demo.username_stem).
    stems = {
        "platform": "platform",
        "distributor": slugify(distributor.split()[0]),
        "dealer": slugify(dealer.split()[0]),
        "fleet": slugify(fleets[0].split()[0]),
    }
    return [
        (
            level,
            role,
            DEMO_ADMIN_USERNAME
            if (level, role) == ("platform", "admin")
            else f"{stems[level]}-{role}",
        )
        for level in LEVELS
        for role in ROLES
    ]


def demo_sample_logins() -> list[SampleLogin]:
    """The sample logins, if this database holds the demo (all of them exist and are active);
    otherwise none. One indexed query on usernames."""
    from daypass.customers.models import Account

    wanted = sample_usernames()
    # The platform's admin is the one `init` made when the demo was loaded after it.
    platform_admin = (
        Account.objects.filter(customer__parent__isnull=True, role="admin", is_active=True)
        .order_by("pk")
        .values_list("username", flat=True)
        .first()
    )
    if platform_admin is None:
        return []
    wanted = [
        (level, role, platform_admin if (level, role) == ("platform", "admin") else username)
        for level, role, username in wanted
    ]
    accounts = {
        account.username: account
        for account in Account.objects.filter(
            username__in=[username for _level, _role, username in wanted], is_active=True
        ).select_related("customer")
    }
    if len(accounts) != len(wanted):
        return []
    return [
        SampleLogin(
            level=level,
            role=role,
            username=username,
            customer_name=accounts[username].customer.name,
        )
        for level, role, username in wanted
    ]
