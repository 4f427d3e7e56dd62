from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "careloop.customers"
    label = "customers"
