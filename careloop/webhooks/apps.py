from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "careloop.webhooks"
    label = "webhooks"
