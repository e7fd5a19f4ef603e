from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "daypass.customers"
    label = "customers"
