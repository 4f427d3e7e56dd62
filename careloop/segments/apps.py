from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "careloop.segments"
    label = "segments"
