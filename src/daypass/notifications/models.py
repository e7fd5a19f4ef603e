from django.conf import settings
from django.db import models
from django.db.models import Q


class Mode(models.TextChoices):
    """Per account and event type (SPEC 12.2): where an event goes."""

    OFF = "off", "Off"
    INBOX = "inbox", "Inbox"
    EMAIL = "email", "Inbox and email at once"
    DIGEST = "digest", "Inbox and the daily digest"


class NotificationSettings(models.Model):
    """An account's choices beyond the per-type modes; no row means the defaults."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    # Also the events of every sub-customer of the account's customer.
    subtree = models.BooleanField(default=False)
    # The language of its emails: the one it last chose in the console.
    language = models.CharField(max_length=16, default="en")


class NotificationPreference(models.Model):
    """An account's mode for one event type, where it differs from its role's default."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(max_length=40)
    mode = models.CharField(max_length=8, choices=Mode.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "type"], name="notification_pref_unique")
        ]


class Notification(models.Model):
    """One event in one account's inbox. `mode` is the account's choice when it was written:
    email and digest notifications are mailed once (`mailed_at`), whatever happens later."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=8, choices=Mode.choices)
    read_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # An inbox lists newest events first: the unique (account, event) index serves it, so
        # the sweep's fan-out writes no index of its own for that.
        indexes = [
            # The unread count in every page header reads only unread rows.
            models.Index(
                fields=["account", "event"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_event",
            ),
            # The mail job finds what is still to be mailed without reading the rest.
            models.Index(
                fields=["mode", "id"],
                condition=Q(mailed_at__isnull=True) & ~Q(mode="inbox"),
                name="notification_to_mail",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["account", "event"], name="notification_unique")
        ]


class MailKind(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate"
    DIGEST = "digest", "Daily digest"


class Mail(models.Model):
    """The email outbox: one row per message, rendered when written, sent by the worker.

    A sending worker leases a row (`next_attempt_at` moves forward, `attempts` counts) before
    it talks to the mail server and marks it sent after; a worker killed in between leaves the
    row to be sent again once the lease ends (at least once, never lost).
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=MailKind.choices)
    to = models.EmailField()
    subject = models.CharField(max_length=255)
    text = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                name="mail_due",
            )
        ]
