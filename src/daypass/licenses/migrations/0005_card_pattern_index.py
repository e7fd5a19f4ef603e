"""PostgreSQL-only index for card prefixes (daypass.core.matching): `card LIKE 'ABC%'`.

The unique index on card keeps the default operator class, which the ordered lists of a whole
subtree read in card order; LIKE needs `varchar_pattern_ops` unless the collation is "C".
A card suffix has no index (it scans the selected customer's licenses): each index here is one
more write on every charge. Not in the model's Meta: Django cannot declare an index for one
database only.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS license_card_pattern "
            "ON licenses_license (card varchar_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS license_card_pattern")


class Migration(migrations.Migration):
    dependencies = [("licenses", "0004_fewer_write_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
