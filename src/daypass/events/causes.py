"""One function per cause of SPEC 12.1: what the services, the gate and the sweep call.

Every function runs inside its cause's transaction, after the change is written (snapshots are
taken then), and works on many objects at once where its caller has many (the sweep, batches).
`license.auto_bound` (auto-renew), `webhook.disabled` and `webhook.test` are emitted by their
own apps through `event_emit`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from daypass.events.emit import NewEvent, events_emit_many
from daypass.events.snapshots import device_snapshots, license_snapshots
from daypass.events.types import RECEIVED_MAX_CARDS, EventType, RestoreCause

if TYPE_CHECKING:
    pass

# SPEC 12.1 (and the running-low counts of SPEC 6): highest first.
RUNNING_LOW_THRESHOLDS = (30, 7)


def days_crossing(*, before: int, after: int) -> tuple[EventType, int | None] | None:
    """The event a change of available days from `before` to `after` emits, if any.

    Reaching 0 is `license.expired` only; crossing 30 and 7 at once is one `running_low` with
    threshold 7. Each crossing is read off the change itself, so it happens once per crossing,
    and a top-up back above a threshold re-arms it: the next charge below crosses it again.
    """
    if after == 0:
        return (EventType.LICENSE_EXPIRED, None) if before > 0 else None
    crossed = [t for t in RUNNING_LOW_THRESHOLDS if before >= t > after]
    if crossed:
        return EventType.LICENSE_RUNNING_LOW, min(crossed)
    return None


def days_crossing_sql(*, after: str, taken: str) -> str:
    """SQL true exactly when `days_crossing(before=after + taken, after=after)` is not None.

    The sweep's set-based filter: `after` and `taken` are column expressions of the charged
    rows. A test holds it to `days_crossing` over every case.
    """
    crossings = [f"({after} < {t} AND {after} + {taken} >= {t})" for t in RUNNING_LOW_THRESHOLDS]
    return "(" + " OR ".join([f"({after} = 0 AND {taken} > 0)", *crossings]) + ")"


def license_days_changed(*, changes: Iterable[tuple[int, int, int]], now: datetime) -> list[int]:
    """Events for licenses whose available days went from `before` to `after`.

    `changes` are (license pk, before, after); the licenses' snapshots are read in a fixed number
    of queries, only for those that cross something. Returns the new events' pks.
    """
    crossing_by_license = {}
    for license_id, before, after in changes:
        crossing = days_crossing(before=before, after=after)
        if crossing is not None:
            crossing_by_license[license_id] = crossing
    if not crossing_by_license:
        return []
    snapshots = license_snapshots(crossing_by_license)
    events = []
    for license_id in sorted(crossing_by_license):
        event_type, threshold = crossing_by_license[license_id]
        owner_id, snapshot = snapshots[license_id]
        data = {"license": snapshot}
        if threshold is not None:
            data["threshold"] = threshold
        events.append(NewEvent(event_type, owner_id, data))
    return events_emit_many(events=events, now=now)


def devices_blacklisted(*, device_ids: Sequence[int], reason: str, now: datetime) -> list[int]:
    """`device.blacklisted` for each device (already flagged), to its owner."""
    if not device_ids:
        return []
    snapshots = device_snapshots(device_ids)
    events = [
        NewEvent(EventType.DEVICE_BLACKLISTED, owner_id, {"device": snapshot, "reason": reason})
        for owner_id, snapshot in (snapshots[device_id] for device_id in sorted(snapshots))
    ]
    return events_emit_many(events=events, now=now)


def devices_restored(*, device_ids: Sequence[int], cause: RestoreCause, now: datetime) -> list[int]:
    """`device.restored` to each device's owner, the blacklist just lifted; the snapshots are
    read in a fixed number of queries whatever the number of devices (a batch top-up or bind)."""
    snapshots = device_snapshots(device_ids)
    events = [
        NewEvent(EventType.DEVICE_RESTORED, owner_id, {"device": snapshot, "cause": str(cause)})
        for owner_id, snapshot in (snapshots[pk] for pk in sorted(device_ids))
    ]
    return events_emit_many(events=events, now=now)


def licenses_received(
    *,
    batch: uuid.UUID,
    method: str,
    moves: Iterable[tuple[str, int, str]],
    now: datetime,
) -> list[int]:
    """`licenses.received` to each receiver, one per (receiver, sender) of the batch.

    `moves` are (card, receiver pk, sender number); `cards` names at most 1,000 of them in card
    order, `count` all of them.
    """
    groups: dict[tuple[int, str], list[str]] = {}
    for card, receiver_id, sender in moves:
        groups.setdefault((receiver_id, sender), []).append(card)
    events = []
    for (receiver_id, sender), cards in sorted(groups.items()):
        cards.sort()
        data = {
            "batch": str(batch),
            "method": str(method),
            "from": sender,
            "count": len(cards),
            "cards": cards[:RECEIVED_MAX_CARDS],
        }
        events.append(NewEvent(EventType.LICENSES_RECEIVED, receiver_id, data))
    return events_emit_many(events=events, now=now)
