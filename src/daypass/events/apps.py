from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "daypass.events"
    label = "events"
