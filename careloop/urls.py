from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from careloop.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:list", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/", include("careloop.accounts.urls")),
    path("customers/", include("careloop.customers.urls")),
    path("imports/", include("careloop.imports.urls")),
    path("segments/", include("careloop.segments.urls")),
    path("care/", include("careloop.care.urls")),
    path("complaints/", include("careloop.complaints.urls")),
    path("calendar/", include("careloop.workcal.urls")),
    path("messages/", include("careloop.messaging.urls")),
    path("callbacks/", include("careloop.callbacks.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]
