"""PostgreSQL: the deductions table becomes range-partitioned by month on `at` (SPEC 11).

A year of history put the sweep's 100,000 inserts a day into B-trees of 36.6 million rows
(2.08× a young database's sweep). Partitioned by month, each insert lands in the current
month's small indexes. See billing.partitions for the monthly job and docs/billing.md.

What changes in the database (PostgreSQL only; SQLite keeps its one table, the Django model is
unchanged):
- the primary key is (id, at): a partitioned table's unique keys must include the partition
  key. `id` stays unique (one sequence) and stays Django's primary key;
- the unique index `deduction_one_success_per_window` is (device_id, window_start, at) for
  successes. Every writer sets `at` = `window_start` (billing.deduction, both sweeps, the
  demo), so two successes share (device, window_start, at) exactly when they share
  (device, window_start): the guarantee is the same;
- `id` takes its values from a sequence owned by the column (PostgreSQL 15 has no identity
  columns on partitioned tables); the next value continues the old identity's;
- every other index (the BRIN on `at` included) is recreated on the parent, hence per month;
  the foreign keys to devices, licenses and customers too. Nothing references deductions.

The conversion moves every row under an ACCESS EXCLUSIVE lock (a one-time stop of charging
while it runs: about a minute per few million rows).
"""

import re
from datetime import UTC, datetime

from django.db import migrations

from daypass.billing import partitions

TABLE = partitions.PARENT
MOVED = f"{TABLE}_unpartitioned"
SEQUENCE = f"{TABLE}_id_seq"
NEW_SEQUENCE = f"{TABLE}_id_partitioned_seq"
PRIMARY_KEY = f"{TABLE}_pkey"


def _definitions(cursor):
    """The table's index definitions (without its primary key) and foreign keys."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = current_schema() AND tablename = %s AND indexname <> %s"
        " ORDER BY indexname",
        [TABLE, PRIMARY_KEY],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
        [TABLE],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute("SELECT conname FROM pg_constraint WHERE confrelid = to_regclass(%s)", [TABLE])
    referencing = [row[0] for row in cursor.fetchall()]
    if referencing:
        # A foreign key to a partitioned table must name `at` too; none exists today.
        raise RuntimeError(f"foreign keys reference {TABLE}: {referencing}; convert them first")
    return indexes, foreign_keys


def _columns(cursor, table):
    cursor.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
        " WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    return cursor.fetchone()[0]


def _with_at(definition):
    """A unique index definition with `at` appended to its key columns."""
    return re.sub(r"USING (\w+) \(([^)]*)\)", r"USING \1 (\2, at)", definition, count=1)


def _without_at(definition):
    return re.sub(r"USING (\w+) \(([^)]*), at\)", r"USING \1 (\2)", definition, count=1)


def _rebuild(cursor, *, indexes, foreign_keys, primary_key, unique_rewrite):
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {PRIMARY_KEY} PRIMARY KEY ({primary_key})")
    for _, definition in indexes:
        # A partitioned index's definition reads "ON ONLY parent": recreate it on every part.
        definition = definition.replace(" ON ONLY ", " ON ")
        if definition.startswith("CREATE UNIQUE INDEX"):
            definition = unique_rewrite(definition)
        cursor.execute(definition)
    for name, definition in foreign_keys:
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")


def partition(apps, schema_editor):
    # Already partitioned (by hand, or under this migration's earlier number 0005): nothing to do.
    if schema_editor.connection.vendor != "postgresql" or partitions.is_partitioned(
        schema_editor.connection
    ):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        indexes, foreign_keys = _definitions(cursor)
        columns = _columns(cursor, TABLE)
        cursor.execute(f"SELECT pg_get_serial_sequence('{TABLE}', 'id')")
        (old_sequence,) = cursor.fetchone()
        cursor.execute(f"SELECT last_value, is_called FROM {old_sequence}")
        last_value, is_called = cursor.fetchone()
        cursor.execute(f"SELECT min(at), max(id) FROM {TABLE}")
        oldest, max_id = cursor.fetchone()

        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {MOVED}")
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {MOVED} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            " PARTITION BY RANGE (at)"
        )
        cursor.execute(f"CREATE SEQUENCE {NEW_SEQUENCE} AS bigint OWNED BY {TABLE}.id")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{NEW_SEQUENCE}')")
        cursor.execute(f"CREATE TABLE {partitions.DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
    partitions.deduction_partitions_ensure(
        now=datetime.now(UTC), since=oldest, using=schema_editor.connection.alias
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {MOVED}")
        if is_called or max_id is not None:
            cursor.execute(
                f"SELECT setval('{NEW_SEQUENCE}', %s, true)",
                [max(last_value if is_called else 0, max_id or 0) or 1],
            )
        cursor.execute(f"DROP TABLE {MOVED}")  # and its identity sequence
        cursor.execute(f"ALTER SEQUENCE {NEW_SEQUENCE} RENAME TO {SEQUENCE}")
        _rebuild(
            cursor,
            indexes=indexes,
            foreign_keys=foreign_keys,
            primary_key="id, at",
            unique_rewrite=_with_at,
        )


def unpartition(apps, schema_editor):
    """Back to one table (the sequence becomes a plain column default instead of an identity)."""
    if not partitions.is_partitioned(schema_editor.connection):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        indexes, foreign_keys = _definitions(cursor)
        columns = _columns(cursor, TABLE)
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {MOVED}")
        cursor.execute(
            f"CREATE TABLE {TABLE} (LIKE {MOVED} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY {TABLE}.id")
        cursor.execute(f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {MOVED}")
        cursor.execute(f"DROP TABLE {MOVED}")  # and every partition
        _rebuild(
            cursor,
            indexes=indexes,
            foreign_keys=foreign_keys,
            primary_key="id",
            unique_rewrite=_without_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_deduction_days"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
