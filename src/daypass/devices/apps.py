from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "daypass.devices"
    label = "devices"
