from django.contrib import admin

from careloop.complaints.models import Complaint, Department, SlaPolicy


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "head")
    filter_horizontal = ("members",)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "severity",
        "category",
        "tier",
        "first_response_hours",
        "resolution_hours",
        "business_hours",
    )


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("number", "external_id", "customer", "severity", "status", "stage", "opened_at")
    list_filter = ("status", "stage", "severity")
    raw_id_fields = ("customer", "repeat_of", "assignee", "chosen_option")
    search_fields = ("number", "external_id")
