from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_deduction_partitions(sender, using, **kwargs) -> None:
    """After every `migrate`: the deductions' months ahead exist (billing.partitions)."""
    from daypass.billing.partitions import deduction_partitions_ensure

    deduction_partitions_ensure(using=using)


class BillingConfig(AppConfig):
    name = "daypass.billing"
    label = "billing"

    def ready(self) -> None:
        post_migrate.connect(
            _ensure_deduction_partitions, sender=self, dispatch_uid="billing.partitions"
        )
