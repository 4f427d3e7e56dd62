"""新客激活: a customer whose first order was 7–15 days ago gets a call by day 15; the day after
the first order a welcome message with the usage guide goes out."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes._common import planned_within
from careloop.care.purposes.base import (
    DUE_TIME,
    MESSAGE_TIME,
    PlanContext,
    Purpose,
    at_local,
    local,
)
from careloop.care.purposes.base import gettext as _


@register
class Activation(Purpose):
    key = "activation"
    label = gettext_lazy("新客激活")
    trigger_text = gettext_lazy("首单在 7–15 天前")
    precedence = 60
    holdout = True
    row_fields = ("first_order_at",)
    default_name = gettext_lazy("新客激活:首单后第 7–15 天电话回访")
    default_priority = "medium"
    default_due_days = 15  # counted from the first order
    default_methods = {"A": "phone", "B": "phone", "C": "phone", "none": "phone"}
    default_params = {"from_days": 7, "to_days": 15, "welcome_message": True}
    default_holdout_share = "0.05"
    default_script = "{{称呼}}您好,我是{{坐席}},感谢您首次选购我们的产品,想了解一下使用是否顺利。"

    def candidates(self, ctx: PlanContext) -> QuerySet:
        early, late = ctx.param("from_days", 7), ctx.param("to_days", 15)
        return ctx.customers.filter(
            first_order_at__gte=ctx.day_start(-late), first_order_at__lt=ctx.day_start(-early + 1)
        ).exclude(planned_within(self.key, ctx, 60))

    def due_at(self, row: dict, ctx: PlanContext, *, method: str, priority: str) -> datetime:
        first = local(row["first_order_at"]).date()
        return at_local(first + timedelta(days=ctx.rule.due_days or 15), DUE_TIME)

    def reason(self, row: dict, ctx: PlanContext) -> str:
        return _("新客户:首单于 %(day)s") % {"day": f"{local(row['first_order_at']):%Y-%m-%d}"}

    def extra_messages(self, ctx: PlanContext) -> list[dict]:
        """Welcome message with the usage guide, the day after the first order (a service
        message, once: only customers whose first order was on D−1)."""
        if not ctx.param("welcome_message", True):
            return []
        rows = (
            ctx.customers.filter(
                first_order_at__gte=ctx.day_start(-1), first_order_at__lt=ctx.day_start(0)
            )
            .exclude(phone="")
            .values("pk", "external_id", "name", "gender")
            .iterator(chunk_size=2000)
        )
        from careloop.care.planner import salutation

        return [
            {
                "customer_id": row["pk"],
                "external_id": row["external_id"],
                "purpose": "welcome",
                "channel": "sms",
                "body": _(
                    "%(name)s您好,感谢您的首次购买!使用指南已为您准备好,如有问题请随时联系我们。"
                )
                % {"name": salutation(row)},
                "marketing": False,
                "not_before": at_local(ctx.as_of, MESSAGE_TIME),
                "source_type": "customer",
                "source_id": row["pk"],
            }
            for row in rows
        ]
