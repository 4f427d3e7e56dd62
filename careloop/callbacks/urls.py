from django.urls import path

from careloop.callbacks import views

app_name = "callbacks"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("next/", views.claim_next, name="claim_next"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/claim/", views.task_claim, name="task_claim"),
    path("tasks/<int:task_id>/record/", views.task_record, name="task_record"),
    path("tasks/<int:task_id>/visit/", views.visit_plan, name="visit_plan"),
    path("pop/", views.pop, name="pop"),
    path("scripts/", views.scripts, name="scripts"),
    path("scripts/new/", views.script_edit, name="script_new"),
    path("scripts/<int:script_id>/", views.script_edit, name="script_edit"),
    path("tickets/", views.tickets, name="tickets"),
    path("tickets/<int:ticket_id>/resolve/", views.ticket_resolve, name="ticket_resolve"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path(
        "suggestions/<int:suggestion_id>/review/", views.suggestion_review, name="suggestion_review"
    ),
    path("leads/", views.leads, name="leads"),
    path("leads/<int:lead_id>/", views.lead_update, name="lead_update"),
    path("team/", views.team, name="team"),
    path("team/reassign/", views.team_reassign, name="team_reassign"),
    path("quality/", views.quality, name="quality"),
    path("quality/<int:record_id>/", views.quality_review, name="quality_review"),
]
