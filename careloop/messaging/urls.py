from django.urls import path

from careloop.messaging import views

app_name = "messaging"
urlpatterns = [
    path("", views.message_list, name="list"),
    path("opt-outs/", views.opt_outs, name="opt_outs"),
    path("opt-outs/new/", views.opt_out_add, name="opt_out_add"),
    path("opt-outs/<int:opt_out_id>/delete/", views.opt_out_remove, name="opt_out_remove"),
]
