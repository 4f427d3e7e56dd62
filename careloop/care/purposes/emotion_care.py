"""情绪关怀: a contact in the last 7 days classified high-risk (threat to leave, to go to 12315
or the press, to sue; open abuse) gets a call within 24 hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes._common import task_model
from careloop.care.purposes.base import PlanContext, Purpose
from careloop.care.purposes.base import gettext as _
from careloop.core import clock


def recent_contacts(key: str, ctx: PlanContext, **condition) -> QuerySet:
    """The customer's contacts in the last `window_days` days matching `condition` that came
    after their last task of this purpose (a contact already followed up is not new)."""
    from careloop.customers.models import Interaction

    followed = task_model().objects.filter(
        customer_id=OuterRef("customer_id"), purpose=key, created_at__gte=OuterRef("occurred_at")
    )
    return (
        Interaction.objects.filter(
            customer_id=OuterRef("pk"),
            occurred_at__gte=ctx.day_start(-(ctx.param("window_days", 7) - 1)),
            occurred_at__lt=ctx.now,
            **condition,
        )
        .exclude(Exists(followed))
        .exclude(
            Exists(
                task_model().objects.filter(
                    purpose=key, source_type="interaction", source_id=OuterRef("pk")
                )
            )
        )
    )


@register
class EmotionCare(Purpose):
    key = "emotion_care"
    label = gettext_lazy("情绪关怀")
    trigger_text = gettext_lazy("近 7 天有被识别为高风险的接触")
    precedence = 40
    event = True
    source_type = "interaction"
    default_name = gettext_lazy("情绪关怀:高风险接触 24 小时内回电")
    default_priority = "high"
    default_due_hours = 24
    default_methods = {"A": "phone", "B": "phone", "C": "phone", "none": "phone"}
    default_params = {"window_days": 7}
    default_script = (
        "{{称呼}}您好,我是{{坐席}},看到您之前的反馈,非常理解您的心情,想再跟您沟通一下。"
    )

    def candidates(self, ctx: PlanContext) -> QuerySet:
        contacts = recent_contacts(self.key, ctx, high_risk=True)
        latest = contacts.order_by("-occurred_at", "-id")
        return ctx.customers.filter(Exists(contacts)).annotate(
            src_id=Subquery(latest.values("id")[:1]),
            event_at=Subquery(latest.values("occurred_at")[:1]),
            src_cues=Subquery(latest.values("emotion_cues")[:1]),
        )

    def due_at(self, row: dict, ctx: PlanContext, *, method: str, priority: str) -> datetime:
        return row["event_at"] + timedelta(hours=ctx.rule.due_hours or 24)

    def reason(self, row: dict, ctx: PlanContext) -> str:
        text = _("%(at)s 的接触被识别为高风险") % {
            "at": f"{clock.local(row['event_at']):%Y-%m-%d %H:%M}"
        }
        if row.get("src_cues"):
            text += _("(%(cues)s)") % {"cues": row["src_cues"]}
        return text
