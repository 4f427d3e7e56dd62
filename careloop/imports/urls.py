from django.urls import path

from careloop.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("upload/", views.import_upload, name="upload"),
    path("<int:job_id>/preview/", views.import_preview, name="preview"),
    path("<int:job_id>/run/", views.import_run, name="run"),
    path("<int:job_id>/", views.import_job, name="job"),
]
