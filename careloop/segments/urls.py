from django.urls import path

from careloop.segments import views

app_name = "segments"
urlpatterns = [
    path("", views.segment_overview, name="overview"),
    path("runs/", views.run_start, name="run_start"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("saved/", views.saved_list, name="saved"),
    path("saved/new/", views.saved_new, name="saved_new"),
    path("saved/count/", views.saved_preview_count, name="saved_preview"),
    path("saved/<int:segment_id>/count/", views.saved_count, name="saved_count"),
    path("saved/<int:segment_id>/edit/", views.saved_edit, name="saved_edit"),
    path("saved/<int:segment_id>/delete/", views.saved_delete, name="saved_delete"),
]
