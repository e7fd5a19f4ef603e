from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from daypass.web.views import (
    accounts,
    auth,
    bind_batch,
    consumption,
    customers,
    device_page,
    devices,
    exports,
    license_actions,
    licenses,
    notification_settings,
    notifications,
    overview,
    platform,
    records,
    search,
    webhooks,
)

app_name = "web"

urlpatterns = [
    path("", overview.license_overview, name="home"),
    # Browsers ask for /favicon.ico whatever the page links; send them to the SVG icon.
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True)),
    path("login/", auth.ConsoleLoginView.as_view(), name="login"),
    path("logout/", auth.ConsoleLogoutView.as_view(), name="logout"),
    path("account/password/", auth.password_change, name="password_change"),
    # Django's language switch: POST language=zh-hans, stored in a cookie (and, signed in, as
    # the language of the account's emails).
    path("i18n/setlang/", notifications.language_switch, name="set_language"),
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/read/", notifications.inbox_mark_read, name="notifications_read"),
    path(
        "notifications/settings/",
        notification_settings.notification_settings,
        name="notification_settings",
    ),
    path("webhooks/", webhooks.webhook_records, name="webhooks"),
    path("webhooks/<int:endpoint_id>/", webhooks.webhook_detail, name="webhook"),
    path("webhooks/<int:endpoint_id>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend/",
        webhooks.webhook_resend,
        name="webhook_resend",
    ),
    path("licenses/", licenses.license_details, name="licenses"),
    path("licenses/export.csv", exports.license_export_csv, name="license_export"),
    path("licenses/sell/", license_actions.licenses_sell, name="licenses_sell"),
    path("licenses/return/", license_actions.licenses_return, name="licenses_return"),
    path("licenses/top-up/", license_actions.licenses_top_up, name="licenses_top_up"),
    # Lock, unlock and unbind: one view, the operation named in the URL.
    *(
        path(
            f"licenses/<str:card>/{operation}/",
            license_actions.license_single_action,
            {"operation": operation},
            name=f"license_{operation}",
        )
        for operation in ("lock", "unlock", "unbind")
    ),
    path("licenses/<str:card>/bind/", license_actions.license_bind, name="license_bind"),
    path("sales-records/", records.transfer_records, name="transfers"),
    path("deduction-records/", records.deduction_records, name="deductions"),
    path("devices/", devices.device_records, name="devices"),
    path("devices/export.csv", exports.device_export_csv, name="device_export"),
    path("devices/transfer/", devices.devices_transfer, name="device_transfer"),
    path("devices/bind-batch/", bind_batch.bind_batch, name="devices_bind_batch"),
    path("devices/<str:number>/", device_page.device_detail, name="device"),
    path("devices/<str:number>/bind/", device_page.device_bind, name="device_bind"),
    path(
        "devices/<str:number>/clear-blacklist/",
        platform.clear_blacklist,
        name="device_clear_blacklist",
    ),
    path("platform/issue/", platform.issue, name="platform_issue"),
    path("platform/catalog/", platform.catalog, name="platform_catalog"),
    path("platform/devices/", platform.device_registration, name="platform_devices"),
    path("customers/", customers.customer_records, name="customers"),
    path("settings/", customers.customer_settings, name="settings"),
    path("accounts/", accounts.account_records, name="accounts"),
    path("search/", search.search_results, name="search"),
    path("consumption/", consumption.consumption, name="consumption"),
    path("accounts/<str:username>/edit/", accounts.account_edit, name="account_edit"),
    path("accounts/<str:username>/active/", accounts.account_active, name="account_active"),
    path("accounts/<str:username>/password/", accounts.account_password, name="account_password"),
    path("tokens/", customers.token_records, name="tokens"),
    path("tokens/<int:token_id>/revoke/", customers.token_revoke_view, name="token_revoke"),
]
