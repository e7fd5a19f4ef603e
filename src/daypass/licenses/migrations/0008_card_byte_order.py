"""Cards in byte order on PostgreSQL (collation "C", licenses.fields.CardField), so the ordinary
indexes answer `card LIKE 'ABC%'` and the `varchar_pattern_ops` twin of 0005 is dropped: one
index less to write for every license a charge, sale, return or issue touches (issue 12).

The pattern index goes first, so the column's new collation does not rebuild it for nothing;
reversing recreates it after the column is back to the database's collation. SQLite (BINARY,
byte order already) only rebuilds the table for the new field class.
"""

import daypass.licenses.fields
from django.db import migrations, models


def drop_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS license_card_pattern")


def create_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS license_card_pattern "
            "ON licenses_license (card varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("licenses", "0007_index_status_card_bound_device")]

    operations = [
        migrations.RunPython(drop_pattern_index, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="license",
            name="card",
            field=daypass.licenses.fields.CardField(max_length=32),
        ),
        migrations.RunPython(migrations.RunPython.noop, create_pattern_index, elidable=False),
    ]
