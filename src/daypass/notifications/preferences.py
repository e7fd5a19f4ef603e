"""Who hears about what (SPEC 12.2): the modes, the defaults by role, the one forced choice.

One table decides; the inbox sink reads it as SQL (`mode_sql`), the settings API as Python
(`effective_modes`).
"""

from __future__ import annotations

from daypass.customers.models import Role
from daypass.events.types import EventType
from daypass.notifications.models import Mode

# Every type an inbox can hold, in the settings' order. `webhook.test` reaches webhooks only.
INBOX_TYPES: tuple[str, ...] = tuple(t.value for t in EventType if t != EventType.WEBHOOK_TEST)

# The roles with an inbox (gateway tokens have none).
INBOX_ROLES = (Role.ADMIN, Role.OPERATOR, Role.VIEWER)

_EVERYDAY = (
    EventType.LICENSE_RUNNING_LOW,
    EventType.LICENSE_EXPIRED,
    EventType.DEVICE_BLACKLISTED,
    EventType.DEVICE_RESTORED,
    EventType.LICENSES_RECEIVED,
    EventType.LICENSE_AUTO_BOUND,
)
_ADMIN_AT_ONCE = (EventType.CUSTOMER_SETTINGS_CHANGED, EventType.WEBHOOK_DISABLED)

DEFAULT_MODES: dict[str, dict[str, str]] = {
    Role.ADMIN: {
        **{t.value: Mode.DIGEST.value for t in _EVERYDAY},
        **{t.value: Mode.EMAIL.value for t in _ADMIN_AT_ONCE},
    },
    Role.OPERATOR: {
        **{t.value: Mode.DIGEST.value for t in _EVERYDAY},
        **{t.value: Mode.OFF.value for t in _ADMIN_AT_ONCE},
    },
    Role.VIEWER: {
        **{t.value: Mode.INBOX.value for t in _EVERYDAY},
        **{t.value: Mode.OFF.value for t in _ADMIN_AT_ONCE},
    },
}

# Admins cannot switch this off: the consent to superior management never changes unseen.
NEVER_OFF_FOR_ADMINS = EventType.CUSTOMER_SETTINGS_CHANGED.value


def effective_mode(*, role: str, type: str, chosen: str | None) -> str:
    default = DEFAULT_MODES.get(role, {}).get(type, Mode.OFF.value)
    if chosen is None:
        return default
    if chosen == Mode.OFF and role == Role.ADMIN and type == NEVER_OFF_FOR_ADMINS:
        # Chosen while the account had another role.
        return default
    return chosen


def effective_modes(*, role: str, chosen: dict[str, str]) -> dict[str, str]:
    return {t: effective_mode(role=role, type=t, chosen=chosen.get(t)) for t in INBOX_TYPES}


def mode_sql(*, role: str, type: str, chosen: str) -> str:
    """`effective_mode` as SQL over three column expressions (literals only, no parameters)."""
    defaults = " ".join(
        f"WHEN {role} = '{r}' AND {type} = '{t}' THEN '{mode}'"
        for r, modes in DEFAULT_MODES.items()
        for t, mode in modes.items()
    )
    default = f"(CASE {defaults} ELSE '{Mode.OFF.value}' END)"
    forced = (
        f"{chosen} = '{Mode.OFF.value}' AND {role} = '{Role.ADMIN.value}'"
        f" AND {type} = '{NEVER_OFF_FOR_ADMINS}'"
    )
    return f"(CASE WHEN {chosen} IS NULL OR ({forced}) THEN {default} ELSE {chosen} END)"
