from django.apps import AppConfig


class EmotionConfig(AppConfig):
    name = "careloop.emotion"
    label = "emotion"
