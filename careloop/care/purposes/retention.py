"""老客维护: a customer for 90+ days who ordered in the last year and had no completed callback
in the last 90 days: by tier A high · visit, B medium · phone, C low · survey."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes._common import ordered_since, planned_within, task_model
from careloop.care.purposes.base import PlanContext, Purpose, local
from careloop.care.purposes.base import gettext as _


@register
class Retention(Purpose):
    key = "retention"
    label = gettext_lazy("老客维护")
    trigger_text = gettext_lazy("首单 90 天以上、近 365 天有下单、近 90 天没有完成的回访")
    precedence = 80
    holdout = True
    row_fields = ("first_order_at",)
    default_name = gettext_lazy("老客维护:A 类上门、B 类电话、C 类问卷")
    default_priority = "medium"
    default_methods = {"A": "visit", "B": "phone", "C": "survey", "none": "survey"}
    tier_priority = {"A": "high", "B": "medium", "C": "low", "none": "low"}
    default_params = {
        "customer_days": 90,
        "ordered_within_days": 365,
        "no_callback_days": 90,
        "cooldown_days": 30,
        "tier_priority": tier_priority,
    }
    default_holdout_share = "0.05"
    default_script = (
        "{{称呼}}您好,我是您的专属客服{{坐席}},感谢您一直以来的支持,想听听您最近的使用感受和建议。"
    )

    def candidates(self, ctx: PlanContext) -> QuerySet:
        from careloop.customers.models import Interaction

        quiet = ctx.param("no_callback_days", 90)
        since = ctx.day_start(-(quiet - 1))
        # A completed call or visit; a message-only task (closed as done when its message is
        # scheduled) is not a callback.
        done = task_model().objects.filter(
            customer_id=OuterRef("pk"),
            status="done",
            method__in=("phone", "visit"),
            closed_at__gte=since,
        )
        recorded = Interaction.objects.filter(
            customer_id=OuterRef("pk"), kind=Interaction.Kind.CALLBACK, occurred_at__gte=since
        )
        return (
            ctx.customers.filter(
                ordered_since(ctx, ctx.param("ordered_within_days", 365)),
                first_order_at__lt=ctx.day_start(-(ctx.param("customer_days", 90) - 1)),
            )
            .exclude(Exists(done))
            .exclude(Exists(recorded))
            .exclude(planned_within(self.key, ctx, ctx.param("cooldown_days", 30)))
        )

    def reason(self, row: dict, ctx: PlanContext) -> str:
        tier = row.get("tier") or _("无")
        return _("老客户(价值等级 %(tier)s):首单于 %(day)s,近 %(n)s 天没有回访") % {
            "tier": tier,
            "day": f"{local(row['first_order_at']):%Y-%m-%d}",
            "n": ctx.param("no_callback_days", 90),
        }
