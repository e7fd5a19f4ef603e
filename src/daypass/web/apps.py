from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "daypass.web"
    label = "web"
