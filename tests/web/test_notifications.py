"""The console's unread count in the header, the plain inbox page, and the language of emails."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from daypass.events.emit import event_emit
from daypass.events.types import EventType
from daypass.notifications.models import Notification
from daypass.notifications.selectors import account_language
from tests import factories


def emit_expired(customer, card):
    with transaction.atomic():
        event_emit(
            type=EventType.LICENSE_EXPIRED,
            customer=customer,
            data={"license": {"card": card}},
            now=factories.NOW,
        )


def test_the_header_shows_the_unread_count_on_every_page(tree, login):
    emit_expired(tree.dealer, "DP0000000001")
    emit_expired(tree.dealer, "DP0000000002")
    client = login(tree.dealer_admin)

    html = client.get(reverse("web:licenses")).content.decode()

    assert 'data-testid="unread-count"' in html
    assert ">2</span>" in html
    assert "2 unread" in html


def test_no_count_without_unread_notifications(tree, login):
    html = login(tree.fleet_admin).get(reverse("web:home")).content.decode()
    assert 'data-testid="unread-count"' in html
    assert 'unread"' not in html and "badge danger" not in html


def test_the_inbox_lists_notifications_with_links_and_marks_them_read(tree, login):
    emit_expired(tree.dealer, "DP0000000001")
    client = login(tree.dealer_viewer)

    html = client.get(reverse("web:notifications")).content.decode()
    assert "License DP0000000001 has expired." in html
    assert f"/licenses/?customer={tree.dealer.number}&amp;card=DP0000000001" in html

    mine = Notification.objects.get(account=tree.dealer_viewer)
    response = client.post(reverse("web:notifications_read"), {"id": mine.pk})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert Notification.objects.get(account=tree.dealer_admin).read_at is None


def test_mark_all_read_from_the_inbox(tree, login):
    emit_expired(tree.dealer, "DP0000000001")
    emit_expired(tree.dealer, "DP0000000002")
    client = login(tree.dealer_admin)
    client.post(reverse("web:notifications_read"), {"all": "true"})
    assert not Notification.objects.filter(account=tree.dealer_admin, read_at=None).exists()


def test_marking_someone_elses_notification_from_the_console_is_404(tree, login):
    emit_expired(tree.dealer, "DP0000000001")
    theirs = Notification.objects.get(account=tree.dealer_admin)
    response = login(tree.dealer_viewer).post(reverse("web:notifications_read"), {"id": theirs.pk})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_language_chosen_in_the_console_is_the_language_of_emails(tree, login):
    client = login(tree.dealer_admin)
    assert account_language(tree.dealer_admin) == "en"
    client.post(reverse("web:set_language"), {"language": "zh-hans", "next": "/"})
    assert account_language(tree.dealer_admin) == "zh-hans"
    html = client.get(reverse("web:notifications")).content.decode()
    assert "没有通知。" in html
