from django.apps import AppConfig


class LicensesConfig(AppConfig):
    name = "daypass.licenses"
    label = "licenses"
