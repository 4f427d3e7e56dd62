from django.apps import AppConfig


class CallbacksConfig(AppConfig):
    name = "careloop.callbacks"
    label = "callbacks"
    verbose_name = "回访工作台"
