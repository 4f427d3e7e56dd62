"""流失挽回: a churn-warning customer (spend halved, or a complaint open for more than 7 days)
gets a visit (tier A) or a call within two days."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes._common import planned_within
from careloop.care.purposes.base import PlanContext, Purpose
from careloop.care.purposes.base import gettext as _
from careloop.customers.models import Customer


@register
class ChurnRescue(Purpose):
    key = "churn_rescue"
    label = gettext_lazy("流失挽回")
    trigger_text = gettext_lazy("生命周期为流失预警,且 30 天内没有流失挽回任务")
    precedence = 30
    default_name = gettext_lazy("流失挽回:流失预警客户 2 天内联系")
    default_priority = "high"
    default_due_days = 2
    default_methods = {"A": "visit", "B": "phone", "C": "phone", "none": "phone"}
    # Not again within `cooldown_days` of the last rescue task (the stage lasts for weeks).
    default_params = {"cooldown_days": 30}
    default_script = (
        "{{称呼}}您好,我是{{坐席}},最近发现您的采购有所减少,想了解一下有什么可以帮您的。"
    )

    def candidates(self, ctx: PlanContext) -> QuerySet:
        return ctx.customers.filter(lifecycle=Customer.Lifecycle.CHURN_WARNING).exclude(
            planned_within(self.key, ctx, ctx.param("cooldown_days", 30))
        )

    def reason(self, row: dict, ctx: PlanContext) -> str:
        if row.get("r_days") is not None:
            return _("流失预警:近期消费明显下降或投诉久未解决,最近一次下单在 %(days)s 天前") % {
                "days": row["r_days"]
            }
        return _("流失预警:近期消费明显下降或投诉久未解决")
