"""PostgreSQL-only indexes for device number patterns (daypass.core.matching).

`number LIKE 'ABC%'` and `reverse(number) LIKE '4321%'` (the last digits of a device number)
are answered from pattern-ops indexes; the ordinary unique index cannot serve LIKE unless the
collation is "C". SQLite answers prefixes with GLOB from the unique index and needs nothing.
Not in the model's Meta: Django cannot declare an index for one database only.
"""

from django.db import migrations

INDEXES = {
    "device_number_pattern": "(number varchar_pattern_ops)",
    "device_number_reversed": "(reverse(number) text_pattern_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON devices_device {columns}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("devices", "0003_device_refusals")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
