"""Immediate emails and the daily digest (SPEC 12.2), delivered to a real SMTP server started
by the test (aiosmtpd on 127.0.0.1), in English and Simplified Chinese."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from daypass.customers.services import customer_settings_update
from daypass.events.emit import event_emit
from daypass.events.types import EventType
from daypass.notifications import services
from daypass.notifications.models import Mail, Notification
from daypass.notifications.services import (
    MAX_ATTEMPTS,
    notification_language_set,
    notification_settings_update,
    notifications_send_due,
)
from tests import factories
from tests.notifications.conftest import CLOSED_PORT, PUBLIC_URL

NOW = factories.NOW  # 2026-11-01 12:00 UTC
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def subject_of(message) -> str:
    # Django folds a non-ASCII subject onto a continuation line; unfolding leaves the
    # folding whitespace in front, which is not part of the subject.
    return message["Subject"].strip()


def text_and_html(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def emit(type, customer, data, at=NOW):
    with transaction.atomic():
        return event_emit(type=type, customer=customer, data=data, now=at)


def license_data(card, days, customer):
    return {"license": {"card": card, "available_days": days, "customer": customer.number}}


def test_an_immediate_email_reaches_the_admins_with_a_link(tree, smtp):
    notification_settings_update(account=tree.dealer_admin, email="dealer@example.com", now=NOW)
    second = factories.make_account(tree.dealer, "admin")
    notification_settings_update(account=second, email="second@example.com", now=NOW)

    customer_settings_update(
        actor=tree.dealer_admin, customer=tree.dealer, allow_auto_renew=True, now=NOW
    )
    result = notifications_send_due(now=NOW)

    assert (result.mails_written, result.sent) == (2, 2)
    assert sorted(rcpt for e in smtp.envelopes for rcpt in e.rcpt_tos) == [
        "dealer@example.com",
        "second@example.com",
    ]
    message = smtp.messages[0]
    assert message["From"] == "daypass@example.com"
    assert subject_of(message) == (
        f"[daypass] {tree.dealer_admin.username} changed the settings of Dealer: Auto-renew."
    )
    text, html = text_and_html(message)
    link = f"{PUBLIC_URL}/settings/?customer={tree.dealer.number}"
    assert link in text
    assert f'href="{link}"' in html
    assert f"{PUBLIC_URL}/notifications/" in text
    # sent once: nothing more on the next run
    assert notifications_send_due(now=NOW + HOUR).sent == 0
    assert len(smtp.messages) == 2


def test_an_immediate_email_in_simplified_chinese(tree, smtp):
    notification_settings_update(
        account=tree.dealer_operator,
        email="op@example.com",
        events={"license.expired": "email"},
        now=NOW,
    )
    notification_language_set(account=tree.dealer_operator, language="zh-hans")

    emit(EventType.LICENSE_EXPIRED, tree.dealer, license_data("DP0000000042", 0, tree.dealer))
    notifications_send_due(now=NOW)

    [message] = smtp.messages
    assert message["To"] == "op@example.com"
    assert subject_of(message) == "[daypass] 许可证 DP0000000042 已过期。"
    text, html = text_and_html(message)
    link = f"{PUBLIC_URL}/licenses/?customer={tree.dealer.number}&card=DP0000000042"
    assert link in text
    assert "在 daypass 中打开" in text
    assert 'lang="zh-hans"' in html


def test_accounts_without_an_email_get_no_mail_but_keep_the_inbox(tree, smtp):
    customer_settings_update(
        actor=tree.dealer_admin, customer=tree.dealer, allow_auto_renew=True, now=NOW
    )
    assert notifications_send_due(now=NOW).mails_written == 0
    assert smtp.messages == []
    assert Notification.objects.filter(account=tree.dealer_admin).count() == 1


def digest_setup(tree):
    notification_settings_update(account=tree.dealer_admin, email="dealer@example.com", now=NOW)
    notification_settings_update(account=tree.dealer_operator, email="op@example.com", now=NOW)
    notification_language_set(account=tree.dealer_operator, language="zh-hans")
    for n in range(7):
        emit(
            EventType.LICENSE_RUNNING_LOW,
            tree.dealer,
            {**license_data(f"DP00000001{n:02d}", 29, tree.dealer), "threshold": 30},
        )
    emit(EventType.DEVICE_BLACKLISTED, tree.dealer, {"device": {"number": "860001"}})


def test_the_digest_waits_for_the_digest_hour_then_goes_once(tree, smtp):
    digest_setup(tree)

    # 12:00 the same day: past today's 07:00, but the events are newer than it
    assert notifications_send_due(now=NOW).sent == 0
    # the next day, before 07:00: not yet
    assert notifications_send_due(now=NOW + 18 * HOUR).sent == 0
    # 07:00 the next day: one digest per account with an address
    result = notifications_send_due(now=NOW + 19 * HOUR)
    assert result.sent == 2
    assert notifications_send_due(now=NOW + 20 * HOUR).sent == 0

    by_recipient = {m["To"]: m for m in smtp.messages}
    english = by_recipient["dealer@example.com"]
    assert subject_of(english) == "[daypass] Daily digest: 8 events"
    text, html = text_and_html(english)
    assert "Licenses running low: 7" in text
    assert "Devices blacklisted: 1" in text
    assert "… and 2 more" in text
    assert f"{PUBLIC_URL}/licenses/?customer={tree.dealer.number}&card=DP0000000106" in text
    assert f"{PUBLIC_URL}/devices/?customer={tree.dealer.number}&amp;number=860001" in html
    assert f"{PUBLIC_URL}/notifications/" in html

    chinese = by_recipient["op@example.com"]
    assert subject_of(chinese) == "[daypass] 每日摘要：8 个事件"
    text, _ = text_and_html(chinese)
    assert "余量不足的许可证: 7" in text


def test_a_failing_mail_server_is_retried_then_given_up(tree, smtp, settings):
    notification_settings_update(account=tree.dealer_admin, email="dealer@example.com", now=NOW)
    customer_settings_update(
        actor=tree.dealer_admin, customer=tree.dealer, allow_auto_renew=True, now=NOW
    )
    settings.EMAIL_PORT = CLOSED_PORT

    result = notifications_send_due(now=NOW)
    assert (result.sent, result.failed_attempts) == (0, 1)
    mail = Mail.objects.get()
    assert mail.attempts == 1 and mail.last_error and mail.sent_at is None

    # the server is back: the retry after a minute delivers it
    settings.EMAIL_PORT = smtp.port
    assert notifications_send_due(now=NOW + timedelta(seconds=30)).sent == 0
    assert notifications_send_due(now=NOW + timedelta(minutes=1)).sent == 1
    assert len(smtp.messages) == 1

    # a mail that keeps failing is marked failed after the last attempt
    Mail.objects.update(sent_at=None, attempts=MAX_ATTEMPTS - 1, next_attempt_at=NOW)
    settings.EMAIL_PORT = CLOSED_PORT
    notifications_send_due(now=NOW + DAY)
    assert Mail.objects.get().failed_at == NOW + DAY


def test_a_worker_killed_while_sending_sends_again_after_the_lease(tree, smtp):
    notification_settings_update(account=tree.dealer_admin, email="dealer@example.com", now=NOW)
    customer_settings_update(
        actor=tree.dealer_admin, customer=tree.dealer, allow_auto_renew=True, now=NOW
    )
    # a worker claimed the mail, then died before marking it sent
    services._write_immediate_mails(now=NOW)
    Mail.objects.update(attempts=1, next_attempt_at=NOW + services.SEND_LEASE)

    assert notifications_send_due(now=NOW + timedelta(minutes=1)).sent == 0
    assert notifications_send_due(now=NOW + services.SEND_LEASE).sent == 1
    assert [m["To"] for m in smtp.messages] == ["dealer@example.com"]
