from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "daypass.core"
    label = "core"
