"""Writes of notifications (SPEC 12.2): an account's settings, marking read, the mail job.

`notifications_send_due(now=)` is the job `daypass worker` and the scheduler of `daypass run`
call: it turns due notifications into mails (immediate ones at once, digests once a day at
DAYPASS_DIGEST_HOUR UTC) and sends what the outbox holds. Each step is its own short
transaction, so a worker killed anywhere loses nothing: notifications are marked mailed in the
transaction that writes their mail, and a mail is marked sent only after the server took it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q

from daypass.core.audit import audit_record
from daypass.core.errors import NotFound, ValidationFailed
from daypass.customers.accounts import email_clean
from daypass.customers.models import Account, Role
from daypass.notifications.mail import render_digest, render_immediate
from daypass.notifications.models import (
    Mail,
    MailKind,
    Mode,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from daypass.notifications.preferences import INBOX_TYPES, NEVER_OFF_FOR_ADMINS
from daypass.notifications.selectors import account_language

logger = logging.getLogger("daypass.notifications")

UNSET: Any = object()
MARK_READ_MAX_IDS = 1_000
# Immediate notifications turned into mails per transaction.
MAIL_BATCH = 200
# Mails claimed by one worker at a time; a claim lasts this long before another may retry.
SEND_BATCH = 50
SEND_LEASE = timedelta(minutes=5)
# After a failed attempt, the next one waits this long; after the last, the mail is failed.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


# --- settings and read state --------------------------------------------------------------


@transaction.atomic
def notification_settings_update(
    *,
    account: Account,
    email: str | None = UNSET,
    subtree: bool | None = None,
    events: dict[str, str] | None = None,
    now: datetime,
) -> Account:
    """Merge the given keys into the account's settings; anything invalid changes nothing."""
    if email is not UNSET and email is not None:
        email = email_clean(email)
    if subtree is not None and not isinstance(subtree, bool):
        raise ValidationFailed(message="subtree must be true or false.", field="subtree")
    events = events or {}
    if not isinstance(events, dict):
        raise ValidationFailed(message="events must map event types to modes.", field="events")
    for type, mode in events.items():
        if type not in INBOX_TYPES:
            raise ValidationFailed(message=f"{type} is not an event type.", field="events")
        if mode not in Mode.values:
            raise ValidationFailed(
                message=f"{type}: the mode is one of {', '.join(Mode.values)}.", field="events"
            )
        if mode == Mode.OFF and type == NEVER_OFF_FOR_ADMINS and account.role == Role.ADMIN:
            raise ValidationFailed(
                message=f"Administrators cannot switch {type} off.", field="events"
            )
    changed: dict[str, Any] = {}
    if email is not UNSET:
        new_email = email or ""
        if new_email != account.email:
            Account.objects.filter(pk=account.pk).update(email=new_email)
            account.email = new_email
            changed["email"] = new_email or None
    if subtree is not None:
        own, _ = NotificationSettings.objects.get_or_create(account=account)
        if own.subtree != subtree:
            own.subtree = subtree
            own.save(update_fields=["subtree"])
            changed["subtree"] = subtree
    for type, mode in events.items():
        NotificationPreference.objects.update_or_create(
            account=account, type=type, defaults={"mode": mode}
        )
    if events:
        changed["events"] = events
    if changed:
        audit_record(
            actor=account,
            action="account.notification_settings",
            now=now,
            target=account.username,
            **changed,
        )
    return account


def notification_language_set(*, account: Account, language: str) -> None:
    """Remember the language the account chose in the console: its emails use it."""
    if language not in dict(settings.LANGUAGES):
        return
    NotificationSettings.objects.update_or_create(account=account, defaults={"language": language})


@transaction.atomic
def notifications_mark_read(
    *, account: Account, ids: Sequence[int] | None = None, all: bool = False, now: datetime
) -> int:
    """Mark the account's notifications read; returns how many were unread.

    `ids` must all be the account's own (the first that is not answers 404, nothing changes).
    """
    if all and ids:
        raise ValidationFailed(message="Give either ids or all, not both.", field="ids")
    mine = Notification.objects.filter(account=account)
    if all:
        return mine.filter(read_at__isnull=True).update(read_at=now)
    if not ids:
        raise ValidationFailed(message="Give ids, or all: true.", field="ids")
    if len(ids) > MARK_READ_MAX_IDS:
        raise ValidationFailed(message=f"At most {MARK_READ_MAX_IDS} ids.", field="ids")
    wanted = list(dict.fromkeys(ids))
    found = set(mine.filter(pk__in=wanted).values_list("pk", flat=True))
    for pk in wanted:
        if pk not in found:
            raise NotFound(message=f"Notification {pk} not found.")
    return mine.filter(pk__in=wanted, read_at__isnull=True).update(read_at=now)


# --- the mail job ----------------------------------------------------------------------------


@dataclass
class SendResult:
    mails_written: int = 0
    sent: int = 0
    failed_attempts: int = 0

    def __str__(self) -> str:
        return (
            f"{self.mails_written} written, {self.sent} sent, "
            f"{self.failed_attempts} failed attempts"
        )


def notifications_send_due(*, now: datetime) -> SendResult:
    """Write the mails that are due at `now`, then send every mail due at `now`."""
    result = SendResult()
    result.mails_written += _write_immediate_mails(now=now)
    result.mails_written += _write_digests(now=now)
    _send_mails(now=now, result=result)
    return result


def digest_instant(now: datetime) -> datetime:
    """Today's digest time (DAYPASS_DIGEST_HOUR, UTC) on the day of `now`."""
    return now.replace(hour=settings.DAYPASS_DIGEST_HOUR, minute=0, second=0, microsecond=0)


def _claim(rows):
    """Lock rows for this transaction, skipping those another worker holds (PostgreSQL)."""
    return rows.select_for_update(skip_locked=True, of=("self",))


def _mailable(account: Account) -> bool:
    return bool(account.email) and account.is_active


def _write_immediate_mails(*, now: datetime) -> int:
    written = 0
    while True:
        with transaction.atomic():
            pks = list(
                _claim(
                    Notification.objects.filter(mode=Mode.EMAIL, mailed_at__isnull=True)
                    .exclude(mode=Mode.INBOX)
                    .order_by("id")
                ).values_list("pk", flat=True)[:MAIL_BATCH]
            )
            if not pks:
                return written
            batch = Notification.objects.filter(pk__in=pks).select_related(
                "account", "event__customer"
            )
            mails = []
            for notification in batch.order_by("id"):
                account = notification.account
                if not _mailable(account):
                    continue
                subject, text, html = render_immediate(
                    event=notification.event, language=account_language(account)
                )
                mails.append(_mail(account, MailKind.IMMEDIATE, subject, text, html, now))
            Mail.objects.bulk_create(mails)
            Notification.objects.filter(pk__in=pks).update(mailed_at=now)
            written += len(mails)


def _write_digests(*, now: datetime) -> int:
    """At or after today's digest time: one digest per account with pending digest items."""
    cutoff = digest_instant(now)
    if now < cutoff:
        return 0
    pending = Notification.objects.filter(
        mode=Mode.DIGEST, mailed_at__isnull=True, event__at__lt=cutoff
    )
    written = 0
    for account_id in pending.order_by().values_list("account_id", flat=True).distinct():
        with transaction.atomic():
            account = Account.objects.get(pk=account_id)
            already = Mail.objects.filter(
                account=account, kind=MailKind.DIGEST, created_at__gte=cutoff
            ).exists()
            if already:
                continue
            pks = list(_claim(pending.filter(account=account)).values_list("pk", flat=True))
            if not pks:
                continue
            if _mailable(account):
                notifications = list(
                    Notification.objects.filter(pk__in=pks)
                    .select_related("event__customer")
                    .order_by("-event__at", "-id")
                )
                subject, text, html = render_digest(
                    events=[n.event for n in notifications],
                    language=account_language(account),
                    account=account,
                )
                _mail(account, MailKind.DIGEST, subject, text, html, now).save()
                written += 1
            Notification.objects.filter(pk__in=pks).update(mailed_at=now)
    return written


def _mail(account, kind, subject, text, html, now) -> Mail:
    return Mail(
        account=account,
        kind=kind,
        to=account.email,
        subject=subject[:255],
        text=text,
        html=html,
        created_at=now,
        next_attempt_at=now,
    )


def _send_mails(*, now: datetime, result: SendResult) -> None:
    due = Q(sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now)
    while True:
        with transaction.atomic():
            claimed = list(
                _claim(Mail.objects.filter(due).order_by("next_attempt_at", "id"))[:SEND_BATCH]
            )
            if not claimed:
                return
            for mail in claimed:
                mail.attempts += 1
                mail.next_attempt_at = now + SEND_LEASE
            Mail.objects.bulk_update(claimed, ["attempts", "next_attempt_at"])
        connection = get_connection(fail_silently=False)
        outcomes: list[tuple[Mail, str]] = []
        try:
            connection.open()
            for mail in claimed:
                outcomes.append((mail, _send_one(connection, mail)))
        except Exception as error:  # the server could not be reached at all
            message = _error_text(error)
            outcomes += [(mail, message) for mail in claimed[len(outcomes) :]]
        finally:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        with transaction.atomic():
            for mail, error in outcomes:
                if not error:
                    mail.sent_at = now
                    mail.last_error = ""
                    result.sent += 1
                else:
                    result.failed_attempts += 1
                    mail.last_error = error
                    if mail.attempts >= MAX_ATTEMPTS:
                        mail.failed_at = now
                    else:
                        mail.next_attempt_at = now + RETRY_DELAYS[mail.attempts - 1]
                    logger.warning("mail %s to %s failed: %s", mail.pk, mail.to, error)
            Mail.objects.bulk_update(
                [mail for mail, _ in outcomes],
                ["sent_at", "failed_at", "next_attempt_at", "last_error"],
            )


def _send_one(connection, mail: Mail) -> str:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        connection=connection,
    )
    message.attach_alternative(mail.html, "text/html")
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - any failure of one message is recorded
        return _error_text(error)
    return ""


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500] or "error"
