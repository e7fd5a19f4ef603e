"""The notification settings page and the webhook pages."""

import pytest
from django.urls import reverse

from daypass.customers.models import Account
from daypass.notifications.selectors import notification_settings_get
from daypass.webhooks.models import Delivery, WebhookEndpoint


@pytest.fixture(autouse=True)
def private_addresses_allowed(settings):
    settings.DAYPASS_WEBHOOK_ALLOW_PRIVATE = True


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_notification_settings_save_email_scope_and_a_changed_mode_only(tree, login):
    client = login(tree.dealer_operator)
    page = client.get(reverse("web:notification_settings"))
    modes = {row["type"]: row["mode"] for row in page.context["rows"]}

    response = client.post(
        reverse("web:notification_settings"),
        {
            "email": "ops@harbor.example",
            "subtree": "on",
            **{f"mode-{t}": m for t, m in modes.items()},
            "mode-license.expired": "email",
        },
        follow=True,
    )

    assert messages_of(response) == ["Your notification settings are saved."]
    saved = notification_settings_get(Account.objects.get(pk=tree.dealer_operator.pk))
    assert saved["email"] == "ops@harbor.example" and saved["subtree"] is True
    assert saved["events"]["license.expired"] == "email"
    from daypass.notifications.models import NotificationPreference

    # Untouched types keep following the role's default: only the changed one is stored.
    assert list(
        NotificationPreference.objects.filter(account=tree.dealer_operator).values_list(
            "type", flat=True
        )
    ) == ["license.expired"]


def test_an_admin_is_not_offered_off_for_settings_changed(tree, login):
    response = login(tree.dealer_admin).get(reverse("web:notification_settings"))

    row = next(r for r in response.context["rows"] if r["type"] == "customer.settings_changed")
    assert "off" not in [mode for mode, _label in row["modes"]]


def test_an_invalid_email_is_shown_and_nothing_changes(tree, login):
    response = login(tree.dealer_operator).post(
        reverse("web:notification_settings"), {"email": "nope"}
    )

    assert response.context["error"]
    assert notification_settings_get(tree.dealer_operator)["email"] is None


def test_create_a_webhook_shows_its_secret_once(tree, login):
    client = login(tree.dealer_admin)

    response = client.post(
        reverse("web:webhooks"),
        {"url": "http://127.0.0.1:9/hook", "events": ["license.expired"]},
    )

    endpoint = WebhookEndpoint.objects.get()
    assert response.context["secret"].startswith("whsec_")
    assert endpoint.events == ["license.expired"]
    again = client.get(reverse("web:webhooks"))
    assert 'data-testid="webhook-secret"' not in again.content.decode()


def test_a_bad_url_is_refused_with_a_message(tree, settings, login):
    settings.DAYPASS_WEBHOOK_ALLOW_PRIVATE = False

    response = login(tree.dealer_admin).post(reverse("web:webhooks"), {"url": "ftp://x"})

    assert response.context["error"]
    assert not WebhookEndpoint.objects.exists()


def test_webhooks_are_for_admins_and_read_only_for_superiors(tree, login):
    login(tree.dealer_admin).post(reverse("web:webhooks"), {"url": "http://127.0.0.1:9/hook"})
    endpoint = WebhookEndpoint.objects.get()

    operator = login(tree.dealer_operator).get(reverse("web:webhooks"))
    superior = login(tree.distributor_admin)
    listed = superior.get(reverse("web:webhooks"), {"customer": tree.dealer.number})
    detail = superior.get(reverse("web:webhook", args=[endpoint.pk]))
    changed = superior.post(
        reverse("web:webhook", args=[endpoint.pk]), {"action": "test"}, follow=True
    )
    outsider = login(tree.sibling_admin).get(reverse("web:webhook", args=[endpoint.pk]))

    assert operator.status_code == 403
    assert list(listed.context["endpoints"]) == [endpoint]
    assert detail.context["own"] is False
    assert not Delivery.objects.exists() and changed.status_code == 200
    assert outsider.status_code == 404


def test_test_rotate_update_resend_and_delete(tree, login):
    client = login(tree.dealer_admin)
    client.post(reverse("web:webhooks"), {"url": "http://127.0.0.1:9/hook"})
    endpoint = WebhookEndpoint.objects.get()
    url = reverse("web:webhook", args=[endpoint.pk])

    tested = client.post(url, {"action": "test"}, follow=True)
    rotated = client.post(url, {"action": "rotate"})
    updated = client.post(
        url,
        {"action": "update", "url": "http://127.0.0.1:9/other", "include_subcustomers": "on"},
        follow=True,
    )
    delivery = Delivery.objects.get()
    resent = client.post(
        reverse("web:webhook_resend", args=[endpoint.pk, delivery.pk]), follow=True
    )
    asked = client.post(reverse("web:webhook_delete", args=[endpoint.pk]))
    deleted = client.post(
        reverse("web:webhook_delete", args=[endpoint.pk]), {"confirmed": "1"}, follow=True
    )

    assert messages_of(tested)[0].startswith("A test event (evt_")
    assert rotated.context["secret"].startswith("whsec_")
    assert messages_of(updated) == ["The webhook is saved."]
    assert messages_of(resent) == [f"Delivery {delivery.pk} is sent again."]
    assert "Its pending deliveries are never sent." in asked.content.decode()
    assert messages_of(deleted) == ["The webhook to http://127.0.0.1:9/other is deleted."]
    assert not WebhookEndpoint.objects.exists()
