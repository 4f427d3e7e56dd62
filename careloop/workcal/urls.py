from django.urls import path

from careloop.workcal import views

app_name = "workcal"
urlpatterns = [
    path("", views.holidays, name="holidays"),
    path("overrides/", views.override_set, name="override_set"),
    path("overrides/<int:override_id>/delete/", views.override_delete, name="override_delete"),
]
