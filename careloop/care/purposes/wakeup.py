"""沉睡唤醒: a dormant customer (last order 60–364 days ago) not woken up in the last 60 days:
a call for tiers A and B, an offer by message for C."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes._common import planned_within
from careloop.care.purposes.base import PlanContext, Purpose
from careloop.care.purposes.base import gettext as _
from careloop.customers.models import Customer


@register
class Wakeup(Purpose):
    key = "wakeup"
    label = gettext_lazy("沉睡唤醒")
    trigger_text = gettext_lazy("生命周期为沉睡,且 60 天内没有唤醒")
    precedence = 70
    holdout = True
    default_name = gettext_lazy("沉睡唤醒:A/B 类电话,C 类短信优惠")
    default_priority = "medium"
    default_methods = {"A": "phone", "B": "phone", "C": "sms", "none": "sms"}
    default_params = {"window_days": 60}
    default_holdout_share = "0.05"
    default_script = (
        "{{称呼}}您好,好久没有您的消息了,我是{{坐席}},最近有新品和老客户专属优惠想跟您介绍。"
    )

    def candidates(self, ctx: PlanContext) -> QuerySet:
        return ctx.customers.filter(lifecycle=Customer.Lifecycle.DORMANT).exclude(
            planned_within(self.key, ctx, ctx.param("window_days", 60))
        )

    def reason(self, row: dict, ctx: PlanContext) -> str:
        if row.get("r_days") is not None:
            return _("沉睡客户:最近一次下单在 %(days)s 天前") % {"days": row["r_days"]}
        return _("沉睡客户")

    def message_body(self, row: dict, ctx: PlanContext) -> str:
        return _("%(name)s您好,好久不见!老客户专属优惠已为您准备好,欢迎回来看看。回复 T 退订") % {
            "name": row["salutation"]
        }
