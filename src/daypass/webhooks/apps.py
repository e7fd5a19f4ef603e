from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "daypass.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        # Every event emitted anywhere queues its deliveries in the emitter's transaction.
        from daypass.events.sinks import register_sink
        from daypass.webhooks.routing import deliveries_enqueue_for_events

        register_sink(deliveries_enqueue_for_events)
