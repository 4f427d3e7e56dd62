from django.urls import path

from careloop.care import views

app_name = "care"
urlpatterns = [
    path("rules/", views.rule_list, name="rules"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/preview/", views.rule_preview, name="rule_preview"),
    path("rules/<int:rule_id>/history/", views.rule_history, name="rule_history"),
    path("plan/", views.plan, name="plan"),
    path("plan/run/", views.plan_run, name="plan_run"),
    path("plan/status/", views.plan_status, name="plan_status"),
    path("plan/suppressions/", views.plan_suppressions, name="plan_suppressions"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/reassign/", views.task_reassign, name="task_reassign"),
    path("agents/", views.agent_list, name="agents"),
    path("agents/<int:user_id>/", views.agent_edit, name="agent_edit"),
    path("customers/<int:customer_id>/today/", views.customer_today, name="customer_today"),
]
