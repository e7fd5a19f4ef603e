from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "daypass.billing"
    label = "billing"
