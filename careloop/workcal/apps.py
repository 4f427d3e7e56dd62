from django.apps import AppConfig


class WorkcalConfig(AppConfig):
    name = "careloop.workcal"
    label = "workcal"
