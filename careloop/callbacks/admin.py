from django.contrib import admin

from careloop.callbacks.models import DepartmentSetting, FollowUpTicket, SalesLead, Suggestion


@admin.register(DepartmentSetting)
class DepartmentSettingAdmin(admin.ModelAdmin):
    """How many days a department has for a normal (non-urgent) follow-up ticket."""

    list_display = ("department", "normal_days")


@admin.register(FollowUpTicket)
class FollowUpTicketAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "department", "agent", "urgent", "deadline", "status")
    list_filter = ("status", "department", "urgent")
    raw_id_fields = ("item", "customer", "agent", "resolved_by", "resolution_task")


@admin.register(SalesLead)
class SalesLeadAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "owner", "status", "follow_up_on")
    list_filter = ("status",)
    raw_id_fields = ("item", "customer", "owner", "follow_task")


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "text", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("item", "customer", "reviewed_by")
