"""Two license indexes reshaped (issue 11, issue 12).

- The status index gains the card: one status is read in card order, which auto-renew needs to
  find an owner's oldest spare without walking its bound licenses (billing.auto_renew).
- The device index holds bound licenses only: every lookup names a device, and the unbound
  licenses that issues, sales and returns write by the 100,000 no longer pay for it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_account_must_change_password_token_expiry"),
        ("devices", "0004_number_pattern_indexes"),
        ("licenses", "0006_transfers_without_constraints"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="license",
            name="license_device_activated",
        ),
        migrations.RemoveIndex(
            model_name="license",
            name="license_customer_status",
        ),
        migrations.AddIndex(
            model_name="license",
            index=models.Index(
                condition=models.Q(("device__isnull", False)),
                fields=["device", "activated_at"],
                name="license_bound_device_activated",
            ),
        ),
        migrations.AddIndex(
            model_name="license",
            index=models.Index(
                models.F("customer"),
                models.Case(
                    models.When(available_days=0, then=models.Value("expired")),
                    models.When(
                        models.Q(("device__isnull", False), ("activated_at__isnull", True)),
                        then=models.Value("inactive"),
                    ),
                    models.When(device__isnull=False, then=models.Value("in_use")),
                    models.When(activated_at__isnull=True, then=models.Value("unused")),
                    default=models.Value("deactivated"),
                    output_field=models.CharField(max_length=16),
                ),
                models.F("card"),
                name="license_customer_status_card",
            ),
        ),
    ]
