from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "careloop.imports"
    label = "imports"
