"""升级通知: a supervisor's announcement to a saved segment (the rule's audience), once per
customer and rule version; priority, due date, method and text as the rule sets them."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes._common import task_model
from careloop.care.purposes.base import PlanContext, Purpose
from careloop.care.purposes.base import gettext as _


@register
class Announcement(Purpose):
    key = "announcement"
    label = gettext_lazy("升级通知")
    trigger_text = gettext_lazy("在通知的目标分群中,且尚未收到本版通知")
    precedence = 110
    default_name = gettext_lazy("升级通知(需选择目标分群)")
    default_priority = "medium"
    default_methods = {"A": "sms", "B": "sms", "C": "sms", "none": "sms"}
    default_params = {"message": ""}
    default_enabled = False

    def candidates(self, ctx: PlanContext) -> QuerySet:
        if not getattr(ctx.rule, "audience_id", None):
            return ctx.customers.none()  # an announcement goes to a chosen segment only
        told = task_model().objects.filter(
            customer_id=OuterRef("pk"), rule_id=ctx.rule.pk, rule_version=ctx.rule.version
        )
        return ctx.customers.exclude(Exists(told))

    def reason(self, row: dict, ctx: PlanContext) -> str:
        return _("升级通知:%(name)s") % {"name": ctx.rule.name}

    def message_body(self, row: dict, ctx: PlanContext) -> str:
        text = ctx.param("message", "") or ctx.rule.name
        return f"{row['salutation']}您好,{text}"
