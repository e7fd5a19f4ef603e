import django.db.models.deletion
from django.db import migrations, models


def deduction_at_brin(apps, schema_editor):
    """PostgreSQL: a BRIN index on the deductions' instant.

    Deductions are appended in time order, so a block-range index finds "every deduction since
    the checkpoint" (the incremental audit) and "every deduction before a date" (the archive)
    for a few kilobytes, where a B-tree on 36.5 million rows takes ~800 MB and a write per
    charge. SQLite (embedded, small) reads those ranges from the table.
    """
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX deduction_at_brin ON billing_deduction USING brin (at)"
            " WITH (pages_per_range = 32)"
        )


def drop_deduction_at_brin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS deduction_at_brin")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_fewer_write_indexes"),
        ("devices", "0003_device_refusals"),
        ("licenses", "0004_fewer_write_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("through", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name="LicenseCheckpoint",
            fields=[
                (
                    "license",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="licenses.license",
                    ),
                ),
                ("days", models.PositiveBigIntegerField(default=0)),
                ("archived_days", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="DeviceCheckpoint",
            fields=[
                (
                    "device",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="devices.device",
                    ),
                ),
                ("window_end", models.DateTimeField(null=True)),
                ("archived_window_end", models.DateTimeField(null=True)),
            ],
        ),
        migrations.RunPython(deduction_at_brin, drop_deduction_at_brin, elidable=False),
    ]
