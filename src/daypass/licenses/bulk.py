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


def ids_param(ids: Sequence[int | None]) -> Any:
    """The ids as one text parameter: an array literal (PostgreSQL casts it), a JSON array
    (SQLite); None is NULL. Joined here rather than adapted by psycopg, whose list adapter
    spent ~0.3 s per 100,000 ids (a regular expression per element), four times per sell."""
    if connection.vendor == "postgresql":
        return "{" + ",".join("NULL" if pk is None else str(int(pk)) for pk in ids) + "}"
    return json.dumps(list(ids))


def db_value(model, field: str, value: Any) -> Any:
    """A Python value as the backend stores it (datetimes on SQLite, UUIDs, …)."""
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def license_rows(ids: Sequence[int], *, lock: bool = False) -> list[LicenseRow]:
    """The licenses' current values, in card order; with `lock`, locked first in id order (the
    fixed lock order) by the same statement, which returns the rows as locked (one pass over
    the ids instead of a lock and a read)."""
    columns = ", ".join(LICENSE_ROW_FIELDS)
    where = f"FROM {_t(License)} WHERE id IN ({ids_sql()})"
    if lock and connection.vendor == "postgresql":
        sql = f"SELECT * FROM (SELECT {columns} {where} ORDER BY id FOR UPDATE) AS l ORDER BY card"
    else:  # SQLite has no row locks: its IMMEDIATE transaction holds the only write lock
        sql = f"SELECT {columns} {where} ORDER BY card"
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids_param(ids)])
        if connection.vendor == "postgresql":
            return list(map(LicenseRow._make, cursor.fetchall()))
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
        rows = license_rows(ids, lock=True)
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


TRANSFER_COLUMNS = (
    "at, license_id, type_id, from_customer_id, to_customer_id, method, batch, account_id,"
    " account_username"
)


def move_licenses(
    *,
    licenses: Sequence[tuple[int, str, int]] | Sequence[LicenseRow],
    to: Customer | None,
    method: str,
    batch: uuid.UUID,
    actor: Account | None,
    now: datetime,
    from_customer: Customer | None = None,
) -> None:
    """One transfer per license, the ownership change, and the `licenses.received` events.

    `licenses` are (id, card, owner id, …) as the caller read them with the rows locked (a
    `LicenseRow` starts with those three). `to` None
    moves each license to its owner's parent (a return). `from_customer` names the sender when
    it is not the current owner (an issue straight to a customer is a sale by the platform: the
    licenses were created with their final owner).

    Every reference of a transfer row is read off the license row it records, in the statement
    that writes it: the license, its type, the owner before (the sender: on PostgreSQL the
    statement moves a row only if it still has the owner the caller read) and after (the
    receiver, checked by the license's own foreign key). That is what keeps the sales records
    consistent; the transfers table has no foreign-key constraints of its own
    (docs/license-operations.md, "Sales records without foreign-key constraints").
    """
    ids = [row[0] for row in licenses]
    customer = _t(Customer)
    license = _t(License)
    fixed = [
        method,
        db_value(Transfer, "batch", batch),
        actor.pk if actor is not None else None,
        actor.username if actor is not None else "",
    ]
    at = db_value(Transfer, "at", now)
    # The customers involved (few), read once: senders, their parents' ids, the receiver.
    owner_ids = {row[2] for row in licenses}
    senders = {from_customer.pk} if from_customer is not None else owner_ids
    known = Customer.objects.in_bulk(senders | ({to.pk} if to is not None else set()))
    with connection.cursor() as cursor:
        if from_customer is not None:
            cursor.execute(
                f"INSERT INTO {_t(Transfer)} ({TRANSFER_COLUMNS})"
                f" SELECT %s, l.id, l.type_id, %s, l.customer_id, %s, %s, %s, %s"
                f" FROM {license} l WHERE l.id IN ({ids_sql()})",
                [at, from_customer.pk, *fixed, ids_param(ids)],
            )
        elif connection.vendor == "postgresql":
            # One statement: each license moves from the owner the caller read (and locked) to
            # its receiver, and the INSERT records what the UPDATE returns. `l.customer_id =
            # v.sender` keeps the sender the row's own value (a row that differs is not moved,
            # and the count below fails); the receiver is checked by the license's foreign key.
            # Receivers come in as an array rather than a subquery on the owner's parent per
            # row, and senders rather than a self-join for the value before: issue 12's return
            # of 100,000 licenses spent a tenth of its time there.
            cursor.execute(
                f"WITH moved AS (UPDATE {license} l SET customer_id = v.receiver"
                " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(id, sender, receiver)"
                " WHERE l.id = v.id AND l.customer_id = v.sender"
                " RETURNING l.id, l.type_id, v.sender, l.customer_id AS receiver)"
                f" INSERT INTO {_t(Transfer)} ({TRANSFER_COLUMNS})"
                " SELECT %s, id, type_id, sender, receiver, %s, %s, %s, %s FROM moved",
                [
                    ids_param(ids),
                    ids_param([row[2] for row in licenses]),
                    ids_param(_receivers(licenses, to=to, known=known)),
                    at,
                    *fixed,
                ],
            )
        else:
            parent = f"(SELECT c.parent_id FROM {customer} c WHERE c.id = l.customer_id)"
            cursor.execute(
                f"INSERT INTO {_t(Transfer)} ({TRANSFER_COLUMNS})"
                f" SELECT %s, l.id, l.type_id, l.customer_id, {'%s' if to else parent},"
                f" %s, %s, %s, %s FROM {license} l WHERE l.id IN ({ids_sql()})",
                [at, *([to.pk] if to is not None else []), *fixed, ids_param(ids)],
            )
            own_parent = parent.replace("l.customer_id", f"{license}.customer_id")
            cursor.execute(
                f"UPDATE {license} SET customer_id = {'%s' if to else own_parent}"
                f" WHERE id IN ({ids_sql()})",
                [*([to.pk] if to is not None else []), ids_param(ids)],
            )
        if cursor.rowcount != len(ids):
            # The caller locked every license and licenses are never deleted: a bug.
            raise RuntimeError(f"moved {cursor.rowcount} of {len(ids)} licenses")
    # Who received what from whom: (receiver id, sender number) of each owner's licenses.
    route = {
        owner_id: (
            to.pk if to is not None else known[owner_id].parent_id,
            known[from_customer.pk if from_customer is not None else owner_id].number,
        )
        for owner_id in owner_ids
    }
    licenses_received(
        batch=batch,
        method=method,
        moves=((row[1], *route[row[2]]) for row in licenses),
        now=now,
    )


def _receivers(licenses, *, to: Customer | None, known: dict[int, Customer]) -> list[int | None]:
    """Each license's receiver: `to`, or its owner's parent (None for an owner not found: no
    license row has it, so none moves and the caller's count fails)."""
    if to is not None:
        return [to.pk] * len(licenses)
    parent_of = {pk: customer.parent_id for pk, customer in known.items()}
    return [parent_of.get(row[2]) for row in licenses]


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
