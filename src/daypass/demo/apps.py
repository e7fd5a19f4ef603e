from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data (`daypass demo`) and the embedded mode that serves it (`daypass run`).

    An app on top of all the others: it only calls their services; no other app imports it.
    """

    name = "daypass.demo"
    label = "demo"
