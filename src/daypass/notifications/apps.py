from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "daypass.notifications"
    label = "notifications"

    def ready(self) -> None:
        from daypass.events.sinks import register_sink
        from daypass.notifications.fanout import notifications_fanout

        register_sink(notifications_fanout)
