from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Event(models.Model):
    """Something a customer should hear about (SPEC 12.1). Append-only.

    `uid` is the public id (`evt_…`), stable forever: webhooks send it as `webhook-id`. The
    integer primary key is internal (sinks and inboxes refer to it). `data` is a snapshot in the
    API's shapes, encoded as the API encodes them (DjangoJSONEncoder: ISO 8601 instants ending
    in `Z`).
    """

    uid = models.CharField(max_length=40)
    type = models.CharField(max_length=40)
    # No single-column index: the composite below leads with the customer.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    at = models.DateTimeField()
    data = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "at", "id"], name="event_customer_at")]
        constraints = [models.UniqueConstraint(fields=["uid"], name="event_uid_unique")]

    def __str__(self) -> str:
        return f"{self.uid} {self.type}"
