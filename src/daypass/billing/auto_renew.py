"""Auto-renew (SPEC 14): bind the owner's best spare license to a device that cannot pay.

One implementation for the gate (one device, from `device_charge`) and the sweep (a chunk of
devices, before its charge statement), so the rules are the same in both. The caller holds the
devices' row locks and its transaction; what is bound here is charged by the caller's next step
in the same transaction, and a device left without a license falls to the blacklist as before.

A device is renewed when its owner has `allow_auto_renew` on and none of its bound licenses can
pay (available days >= the type's charge days). Its owner's eligible licenses are the unbound,
unlocked ones with available days >= their type's charge days whose type fits the device's model
(Unused or Deactivated, never Expired, never another customer's). The best is one of the type of
the device's last successfully charged license, if it has one; then the lowest (oldest) card.
Devices are served in id order, each taking the best license the earlier ones left, exactly as
if they had been charged one after another.

PostgreSQL: the chosen licenses are then locked (FOR UPDATE, in id order) with the eligibility
rule repeated. A license another transaction is changing (a bind, a sale, a gateway or sweep
worker renewing another device of the same owner) is waited for, then re-checked: if it was
taken, the devices that chose it choose again without it, until every device has a license or
none is left. Waiting, not skipping, so a device is blacklisted only when the spares are really
gone (a skipped row might have been released). No deadlock: every caller holds its device rows
already, a gateway holds no license while it waits, and the sweep takes its licenses in id order.
"""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from django.db import connection

from daypass.billing.models import Deduction, DeductionResult
from daypass.core.models import AuditEvent
from daypass.customers.models import Customer
from daypass.devices.models import Device
from daypass.events.emit import NewEvent, events_emit_many
from daypass.events.snapshots import device_snapshots, license_snapshots
from daypass.events.types import EventType
from daypass.licenses.models import License, LicenseStatus, LicenseType
from daypass.licenses.status import status_expression

AUTO_RENEW_ACTION = "license.bind"


@dataclass(frozen=True, slots=True)
class NeedyDevice:
    id: int
    number: str
    owner_id: int
    model_id: int
    last_type_id: int | None


def devices_auto_renew(*, device_ids: list[int], now: datetime) -> dict[int, int]:
    """Bind a spare license to each device of `device_ids` that needs and may get one.

    Returns {device id: license id} of the binds made (audit event and `license.auto_bound`
    event each). The caller holds the devices' row locks inside its transaction.
    """
    if not device_ids or not Customer.objects.filter(allow_auto_renew=True).exists():
        return {}
    needy = _needy_devices(device_ids)
    if not needy:
        return {}
    types_of_model = _types_by_model()
    charge_days = dict(LicenseType.objects.values_list("pk", "charge_days"))
    unavailable: set[int] = set()
    chosen: dict[int, int] = {}
    waiting = needy
    # Each round either binds or rules out every license it chose, so the rounds end.
    while waiting:
        exclude = unavailable | set(chosen.values())
        choice = _choose(waiting, types_of_model, charge_days, exclude=exclude)
        if not choice:
            break
        locked = _lock_still_eligible(list(choice.values()))
        chosen.update({device: lic for device, lic in choice.items() if lic in locked})
        unavailable.update(lic for lic in choice.values() if lic not in locked)
        waiting = [d for d in waiting if d.id in choice and choice[d.id] not in locked]
    if chosen:
        _bind(chosen=chosen, needy={d.id: d for d in needy}, now=now)
    return chosen


def _id_list(ids: list[int]) -> tuple[str, object]:
    """SQL matching `id` against a list, and its parameter: an array, or JSON on SQLite."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", list(ids)
    return "IN (SELECT value FROM json_each(%s))", json.dumps(list(ids))


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "device": quote(Device._meta.db_table),
        "customer": quote(Customer._meta.db_table),
        "license": quote(License._meta.db_table),
        "license_type": quote(LicenseType._meta.db_table),
        "deduction": quote(Deduction._meta.db_table),
        "type_models": quote(LicenseType.device_models.through._meta.db_table),
    }


def _needy_devices(device_ids: list[int]) -> list[NeedyDevice]:
    """The devices (id order) whose owner renews and none of whose bound licenses can pay."""
    match, param = _id_list(device_ids)
    sql = f"""
        SELECT d.id, d.number, d.customer_id, d.model_id,
               (SELECT l.type_id FROM {{deduction}} x JOIN {{license}} l ON l.id = x.license_id
                WHERE x.device_id = d.id AND x.result = %s
                ORDER BY x.at DESC, x.id DESC LIMIT 1)
        FROM {{device}} d JOIN {{customer}} c ON c.id = d.customer_id
        WHERE d.id {match} AND c.allow_auto_renew
          AND NOT EXISTS (
              SELECT 1 FROM {{license}} b JOIN {{license_type}} t ON t.id = b.type_id
              WHERE b.device_id = d.id AND b.available_days >= t.charge_days
          )
        ORDER BY d.id""".format(**_tables())
    with connection.cursor() as cursor:
        cursor.execute(sql, [DeductionResult.SUCCESS.value, param])
        return [NeedyDevice(*row) for row in cursor.fetchall()]


def _types_by_model() -> dict[int, list[int]]:
    through = LicenseType.device_models.through
    types: dict[int, list[int]] = defaultdict(list)
    for type_id, model_id in through.objects.values_list("licensetype_id", "devicemodel_id"):
        types[model_id].append(type_id)
    return types


def _spares(*, owner_id: int, type_id: int, charge_days: int, limit: int, exclude: set[int]):
    """The owner's first `limit` eligible licenses of one type by card: [(card, id)].

    Read per status (an eligible license is Unused or Deactivated: unbound, days left), each
    straight off the index of (customer, status, card) in card order, then merged: a fleet's
    bound licenses may all sort before its spares, and a walk in card order over the owner's
    licenses would pass every one of them for every chunk of the sweep.
    """
    per_status = [
        License.objects.annotate(status=status_expression())
        .filter(
            customer_id=owner_id,
            status=status,
            type_id=type_id,
            locked=False,
            available_days__gte=charge_days,
        )
        .exclude(pk__in=exclude)
        .order_by("card")
        .values_list("card", "pk")[:limit]
        for status in (LicenseStatus.UNUSED, LicenseStatus.DEACTIVATED)
    ]
    return list(islice(heapq.merge(*(list(rows) for rows in per_status)), limit))


def _choose(
    devices: list[NeedyDevice],
    types_of_model: dict[int, list[int]],
    charge_days: dict[int, int],
    *,
    exclude: set[int],
) -> dict[int, int]:
    """{device id: license id}: each device in id order takes the best license left to it."""
    wanted_by_owner: dict[int, int] = defaultdict(int)
    for device in devices:
        wanted_by_owner[device.owner_id] += 1
    # Every device of an owner could take a license of every fitting type before this one, so
    # `wanted` licenses of each (owner, type) always reach the best one still free.
    spares: dict[tuple[int, int], list[tuple[str, int]]] = {}
    for device in devices:
        for type_id in types_of_model.get(device.model_id, ()):
            key = (device.owner_id, type_id)
            if key not in spares:
                spares[key] = _spares(
                    owner_id=device.owner_id,
                    type_id=type_id,
                    charge_days=charge_days[type_id],
                    limit=wanted_by_owner[device.owner_id],
                    exclude=exclude,
                )
    taken: set[int] = set()
    ordered: dict[tuple[int, int, int | None], Iterable[tuple[str, int]]] = {}
    choice: dict[int, int] = {}
    for device in devices:
        fitting = types_of_model.get(device.model_id, [])
        preferred = device.last_type_id if device.last_type_id in fitting else None
        key = (device.owner_id, device.model_id, preferred)
        if key not in ordered:
            # Preferred type first, then every fitting type merged by card.
            first = spares[(device.owner_id, preferred)] if preferred else []
            rest = heapq.merge(*(spares[(device.owner_id, t)] for t in fitting if t != preferred))
            ordered[key] = iter([*first, *rest])
        for _card, license_id in ordered[key]:
            if license_id not in taken:
                taken.add(license_id)
                choice[device.id] = license_id
                break
    return choice


def _lock_still_eligible(license_ids: list[int]) -> set[int]:
    """Lock the chosen licenses that are still eligible (waiting for any held elsewhere)."""
    if connection.vendor != "postgresql":
        return set(license_ids)  # SQLite: the transaction is the only writer
    sql = """
        SELECT l.id FROM {license} l JOIN {license_type} t ON t.id = l.type_id
        WHERE l.id = ANY(%s) AND l.device_id IS NULL AND NOT l.locked
          AND l.available_days >= t.charge_days
        ORDER BY l.id FOR UPDATE OF l""".format(**_tables())
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(license_ids)])
        return {row[0] for row in cursor.fetchall()}


# The bind's audit event (SPEC 3: who — the system —, acting customer, when, what), the same
# action as a bind by hand, with `auto_renew` in its details.
POSTGRESQL_BIND_SQL = """
WITH bound AS (
    UPDATE {license} l SET device_id = v.device_id, bound_at = %(now)s
    FROM unnest(%(devices)s::bigint[], %(licenses)s::bigint[]) AS v(device_id, license_id)
    WHERE l.id = v.license_id
    RETURNING l.card, l.customer_id, l.device_id
)
INSERT INTO {audit} (at, actor_id, actor_username, acting_customer_id, action, target, details,
                     ip_address)
SELECT %(now)s, NULL, '', b.customer_id, %(action)s, b.card,
       jsonb_build_object('device', d.number, 'owner', c.number, 'auto_renew', true), NULL
FROM bound b JOIN {device} d ON d.id = b.device_id JOIN {customer} c ON c.id = b.customer_id
"""

SQLITE_AUDIT_SQL = """
INSERT INTO {audit} (at, actor_id, actor_username, acting_customer_id, action, target, details,
                     ip_address)
SELECT %s, NULL, '', l.customer_id, %s, l.card,
       json_object('device', d.number, 'owner', c.number, 'auto_renew', json('true')), NULL
FROM {license} l JOIN {device} d ON d.id = l.device_id JOIN {customer} c ON c.id = l.customer_id
WHERE l.id IN (SELECT value FROM json_each(%s))
"""


def _bind(*, chosen: dict[int, int], needy: dict[int, NeedyDevice], now: datetime) -> None:
    """Bind, audit and emit, set-based: one statement for the binds and their audit events (two
    on SQLite), one INSERT of events."""
    pairs = sorted(chosen.items())
    tables = {**_tables(), "audit": connection.ops.quote_name(AuditEvent._meta.db_table)}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                POSTGRESQL_BIND_SQL.format(**tables),
                {
                    "now": now,
                    "devices": [device_id for device_id, _ in pairs],
                    "licenses": [license_id for _, license_id in pairs],
                    "action": AUTO_RENEW_ACTION,
                },
            )
        else:
            at = connection.ops.adapt_datetimefield_value(now)
            cursor.executemany(
                "UPDATE {license} SET device_id = %s, bound_at = %s WHERE id = %s".format(**tables),
                [(device_id, at, license_id) for device_id, license_id in pairs],
            )
            cursor.execute(
                SQLITE_AUDIT_SQL.format(**tables),
                [at, AUTO_RENEW_ACTION, json.dumps([license_id for _, license_id in pairs])],
            )
    license_data = license_snapshots(chosen.values())
    device_data = device_snapshots(chosen.keys())
    events_emit_many(
        events=[
            NewEvent(
                EventType.LICENSE_AUTO_BOUND,
                needy[device_id].owner_id,
                {"license": license_data[license_id][1], "device": device_data[device_id][1]},
            )
            for device_id, license_id in chosen.items()
        ],
        now=now,
    )
