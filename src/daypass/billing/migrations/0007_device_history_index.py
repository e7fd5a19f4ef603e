"""A device's deduction list reads one index alone (SPEC 11: a year of history).

The device's index was (device, at): its list filtered each row by the customer (tenancy) and
selected its id from the table, one table read per row, in every monthly partition its history
spans (366 reads in 13 partitions for a device charged daily for a year; bench/history.py
measured its pages 1.2-1.4x slower than a young database's). The new index holds the ordering
(at, id) and the customer, so a device's count and page keys are index-only scans.

On PostgreSQL the index is built on every monthly partition under a SHARE lock: charges wait
while it builds (about 30 s for 36.5 million rows on the benchmark machine).
"""


from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0006_deduction_partitions'),
        ('customers', '0003_account_must_change_password_token_expiry'),
        ('devices', '0004_number_pattern_indexes'),
        ('licenses', '0008_card_byte_order'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='deduction',
            index=models.Index(fields=['device', 'at', 'id', 'customer'], name='deduction_device_history'),
        ),
        migrations.RemoveIndex(
            model_name='deduction',
            name='deduction_device_at',
        ),
    ]
