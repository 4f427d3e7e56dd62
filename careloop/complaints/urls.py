from django.urls import path

from careloop.complaints import views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new", views.complaint_new, name="new"),
    path("new/", views.complaint_new),
    path("review/", views.review, name="review"),
    path("<int:complaint_id>/", views.complaint_detail, name="detail"),
    path(
        "<int:complaint_id>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("<int:complaint_id>/respond/", views.note_action, {"action": "respond"}, name="respond"),
    path("<int:complaint_id>/diagnose/", views.diagnose, name="diagnose"),
    path("<int:complaint_id>/solution/", views.solution, name="solution"),
    path("<int:complaint_id>/option/", views.option_choose, name="option"),
    path("<int:complaint_id>/steps/", views.step_add, name="step_add"),
    path("<int:complaint_id>/steps/<int:step_id>/done/", views.step_done, name="step_done"),
    path("<int:complaint_id>/progress/", views.progress, name="progress"),
    path("<int:complaint_id>/pause/", views.note_action, {"action": "pause"}, name="pause"),
    path("<int:complaint_id>/resume/", views.note_action, {"action": "resume"}, name="resume"),
    path("<int:complaint_id>/resolve/", views.note_action, {"action": "resolve"}, name="resolve"),
    path("<int:complaint_id>/confirm/", views.confirm, name="confirm"),
    path("<int:complaint_id>/reopen/", views.note_action, {"action": "reopen"}, name="reopen"),
]
