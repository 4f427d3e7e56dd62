from django.urls import path

from careloop.segments import views

app_name = "segments"
urlpatterns = [
    path("", views.segment_overview, name="overview"),
    path("runs/", views.run_start, name="run_start"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
]
