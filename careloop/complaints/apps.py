from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "careloop.complaints"
    label = "complaints"
