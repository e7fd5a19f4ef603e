"""Set-based building blocks of the batch operations (issue 12): a batch of 100,000 licenses is a
handful of SQL statements, never 100,000 model objects.

Measured before this module (bench/batches.py, docs/license-operations.md): issuing 100,000
licenses spent most of its ~25 s building model instances and compiling Django's bulk INSERT
(about 1,100 statements of 90 rows); a sell of 100,000 spent it instantiating the licenses three
times (batch select, lock, re-read) and building the transfer objects. The audit row (one per
batch) and the JSON answer (~30 ms for 100,000 cards with orjson) were never the cost.

Lists of ids travel as one parameter: a PostgreSQL array (`unnest`), a JSON array on SQLite
(`json_each`), so a statement touches any number of rows without thousands of placeholders.
Callers hold a transaction and have locked what they change (devices before licenses, by id).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple, overload

from django.db import connection

from daypass.customers.models import Account, Customer
from daypass.devices.models import Device
from daypass.events.causes import licenses_received
from daypass.licenses.models import License, TopUp, Transfer

# Issued cards are CARD_PREFIX + a zero-padded sequence, so card order is issue order.
CARD_PREFIX = "DP"
CARD_DIGITS = 10


class LicenseRow(NamedTuple):
    """What the batch rules read of a license: plain values, no model instance."""

    id: int
    card: str
    customer_id: int
    type_id: int
    device_id: int | None
    locked: bool
    available_days: int


LICENSE_ROW_FIELDS = LicenseRow._fields
# License objects read per query when a LicenseSequence is iterated.
LOAD_CHUNK = 2_000


class LicenseSequence(Sequence[License]):
    """The licenses of a batch, known by card (and id), read from the database only when used.

    A batch answers with `.cards` without building 100,000 model instances; code that indexes,
    slices or iterates still gets License objects (with customer and type), fresh from the
    database, in card order.
    """

    def __init__(self, cards: list[str], ids: list[int] | None = None) -> None:
        self.cards = cards
        self.ids = ids

    def __len__(self) -> int:
        return len(self.cards)

    @overload
    def __getitem__(self, index: int) -> License: ...
    @overload
    def __getitem__(self, index: slice) -> list[License]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._load(self.cards[index])
        return self._load([self.cards[index]])[0]

    def __iter__(self) -> Iterator[License]:
        for start in range(0, len(self.cards), LOAD_CHUNK):
            yield from self._load(self.cards[start : start + LOAD_CHUNK])

    def __add__(self, other: Sequence[License]) -> list[License]:
        return [*self, *other]

    def __radd__(self, other: Sequence[License]) -> list[License]:
        return [*other, *self]

    def __repr__(self) -> str:
        return f"<LicenseSequence of {len(self.cards)} cards>"

    @staticmethod
    def _load(cards: list[str]) -> list[License]:
        by_card = License.objects.select_related("customer", "type").in_bulk(
            cards, field_name="card"
        )
        return [by_card[card] for card in cards]


def license_refs(licenses: Sequence[License]) -> list[tuple[int, str]]:
    """(id, card) of the distinct licenses given, in the order given, without loading a lazy
    batch."""
    if isinstance(licenses, LicenseSequence) and licenses.ids is not None:
        pairs = zip(licenses.ids, licenses.cards, strict=True)
    else:
        pairs = ((lic.pk, lic.card) for lic in licenses)
    return list(dict(pairs).items())


def license_ids(licenses: Sequence[License]) -> list[int]:
    """The distinct ids of the licenses given, in the order given."""
    return [pk for pk, _card in license_refs(licenses)]


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def ids_sql() -> str:
    """A subquery yielding the ids passed as one parameter (see `ids_param`)."""
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::bigint[])"
    return "SELECT value FROM json_each(%s)"


def ids_param(ids: Sequence[int]) -> Any:
    if connection.vendor == "postgresql":
        return list(ids)
    return json.dumps(list(ids))


def db_value(model, field: str, value: Any) -> Any:
    """A Python value as the backend stores it (datetimes on SQLite, UUIDs, …)."""
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def license_rows(ids: Sequence[int]) -> list[LicenseRow]:
    """The licenses' current values, in card order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(LICENSE_ROW_FIELDS)} FROM {_t(License)}"
            f" WHERE id IN ({ids_sql()}) ORDER BY card",
            [ids_param(ids)],
        )
        return [
            LicenseRow(i, card, c, t, d, bool(locked), a)
            for i, card, c, t, d, locked, a in cursor.fetchall()
        ]


def lock_rows(model, ids: Sequence[int]) -> list[int]:
    """Lock the rows in id order (the fixed lock order); returns the ids that exist.

    SQLite has no row locks: its IMMEDIATE transaction already holds the only write lock.
    """
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_t(model)} WHERE id IN ({ids_sql()}) ORDER BY id{lock}",
            [ids_param(ids)],
        )
        return [row[0] for row in cursor.fetchall()]


def lock_licenses_with_their_devices(ids: Sequence[int]) -> list[LicenseRow]:
    """Lock the licenses' bound devices, then the licenses (the fixed order); fresh rows.

    A device read before the licenses were locked may have changed in between: then lock the
    new devices too (more locks, the order of each round kept) until the set is stable.
    """
    locked_devices: set[int] = set()
    for _round in range(5):
        wanted = set(_bound_device_ids(ids)) - locked_devices
        lock_rows(Device, sorted(wanted))
        locked_devices |= wanted
        lock_rows(License, ids)
        rows = license_rows(ids)
        if {r.device_id for r in rows if r.device_id is not None} <= locked_devices:
            return rows
    from daypass.core.errors import DaypassError

    raise DaypassError("conflict", "The licenses changed while we were working on them; try again.")


def _bound_device_ids(ids: Sequence[int]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT device_id FROM {_t(License)}"
            f" WHERE id IN ({ids_sql()}) AND device_id IS NOT NULL",
            [ids_param(ids)],
        )
        return [row[0] for row in cursor.fetchall()]


def select_eligible_ids(
    *, customer_id: int, quantity: int, type_id: int | None, lock: bool
) -> list[int]:
    """Up to `quantity` sellable licenses of the customer (unbound, unlocked, not Expired),
    oldest card first; with `lock`, locked for this transaction (PostgreSQL)."""
    type_filter = " AND type_id = %s" if type_id is not None else ""
    params: list[Any] = [customer_id, False]
    if type_id is not None:
        params.append(type_id)
    params.append(quantity)
    suffix = " FOR UPDATE" if lock and connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_t(License)}"
            " WHERE customer_id = %s AND device_id IS NULL AND locked = %s AND available_days > 0"
            f"{type_filter} ORDER BY card LIMIT %s{suffix}",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def insert_issued_licenses(
    *, first: int, quantity: int, type_id: int, customer_id: int, days: int, now: datetime
) -> None:
    """`quantity` new licenses numbered from `first`, in one statement."""
    last = first + quantity - 1
    columns = (
        "card, type_id, customer_id, issued_days, total_days, available_days, locked, created_at"
    )
    values = "%s, %s, %s, %s, %s, %s, %s"
    params = [type_id, customer_id, days, days, days, False, db_value(License, "created_at", now)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {_t(License)} ({columns})"
                f" SELECT %s || lpad(i::text, {CARD_DIGITS}, '0'), {values}"
                " FROM generate_series(%s::bigint, %s::bigint) AS i",
                [CARD_PREFIX, *params, first, last],
            )
        else:
            cursor.execute(
                "WITH RECURSIVE seq(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM seq WHERE i < %s)"
                f" INSERT INTO {_t(License)} ({columns})"
                f" SELECT %s || printf('%%0{CARD_DIGITS}d', i), {values}"
                " FROM seq",
                [first, last, CARD_PREFIX, *params],
            )


def issued_ids(*, first_card: str, last_card: str) -> list[int]:
    """The ids of a run of issued cards, in card order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_t(License)} WHERE card >= %s AND card <= %s"
            " AND length(card) = %s ORDER BY card",
            [first_card, last_card, len(first_card)],
        )
        return [row[0] for row in cursor.fetchall()]


def move_licenses(
    *,
    licenses: Sequence[tuple[int, str, int]],
    to: Customer | None,
    method: str,
    batch: uuid.UUID,
    actor: Account | None,
    now: datetime,
    from_customer: Customer | None = None,
) -> None:
    """One transfer per license, the ownership change, and the `licenses.received` events.

    `licenses` are (id, card, owner id) as the caller read them with the rows locked. `to` None
    moves each license to its owner's parent (a return). `from_customer` names the sender when
    it is not the current owner (an issue straight to a customer is a sale by the platform: the
    licenses were created with their final owner).
    """
    ids = [pk for pk, _card, _owner in licenses]
    customer = _t(Customer)
    license = _t(License)
    parent = f"(SELECT c.parent_id FROM {customer} c WHERE c.id = l.customer_id)"
    target = "%s" if to is not None else parent
    target_params = [to.pk] if to is not None else []
    sender = "%s" if from_customer is not None else "l.customer_id"
    sender_params = [from_customer.pk] if from_customer is not None else []
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_t(Transfer)} (at, license_id, type_id, from_customer_id,"
            " to_customer_id, method, batch, account_id, account_username)"
            f" SELECT %s, l.id, l.type_id, {sender}, {target}, %s, %s, %s, %s"
            f" FROM {license} l WHERE l.id IN ({ids_sql()})",
            [
                db_value(Transfer, "at", now),
                *sender_params,
                *target_params,
                method,
                db_value(Transfer, "batch", batch),
                actor.pk if actor is not None else None,
                actor.username if actor is not None else "",
                ids_param(ids),
            ],
        )
        if from_customer is None:
            own_parent = parent.replace("l.customer_id", f"{license}.customer_id")
            new_owner = "%s" if to is not None else own_parent
            cursor.execute(
                f"UPDATE {license} SET customer_id = {new_owner} WHERE id IN ({ids_sql()})",
                [*target_params, ids_param(ids)],
            )
    # Who received what from whom: (card, receiver id, sender number), from the few customers.
    senders = {from_customer.pk} if from_customer is not None else {o for _i, _c, o in licenses}
    known = Customer.objects.in_bulk(senders | ({to.pk} if to is not None else set()))
    moves = []
    for _pk, card, owner_id in licenses:
        sent_by = known[from_customer.pk if from_customer is not None else owner_id]
        receiver_id = to.pk if to is not None else known[owner_id].parent_id
        moves.append((card, receiver_id, sent_by.number))
    licenses_received(batch=batch, method=method, moves=moves, now=now)


def add_days(*, ids: Sequence[int], days: int, actor: Account, now: datetime) -> None:
    """Top up: total and available days grow by `days`, one TopUp ledger row per license."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_t(License)} SET total_days = total_days + %s,"
            f" available_days = available_days + %s WHERE id IN ({ids_sql()})",
            [days, days, ids_param(ids)],
        )
        cursor.execute(
            f"INSERT INTO {_t(TopUp)} (at, license_id, days, account_id)"
            f" SELECT %s, l.id, %s, %s FROM {_t(License)} l WHERE l.id IN ({ids_sql()})",
            [db_value(TopUp, "at", now), days, actor.pk, ids_param(ids)],
        )


def bind_licenses(*, pairs: Sequence[tuple[int, int]], now: datetime) -> None:
    """Bind each license to its device (checked and locked by the caller); sets bound-at."""
    bound_at = db_value(License, "bound_at", now)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {_t(License)} SET device_id = %s, bound_at = %s WHERE id = %s",
            [(device_id, bound_at, license_id) for license_id, device_id in pairs],
        )
