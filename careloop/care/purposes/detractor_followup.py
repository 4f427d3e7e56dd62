"""差评回访: an NPS of 6 or less or a CSAT of 2 or less in the last 7 days gets a call within
48 hours of the answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes.base import PlanContext, Purpose
from careloop.care.purposes.base import gettext as _
from careloop.care.purposes.emotion_care import recent_contacts
from careloop.core import clock


@register
class DetractorFollowup(Purpose):
    key = "detractor_followup"
    label = gettext_lazy("差评回访")
    trigger_text = gettext_lazy("近 7 天有 NPS≤6 或 CSAT≤2 的评价")
    precedence = 50
    event = True
    source_type = "interaction"
    default_name = gettext_lazy("差评回访:NPS≤6 或 CSAT≤2,48 小时内回访")
    default_priority = "high"
    default_due_hours = 48
    default_methods = {"A": "phone", "B": "phone", "C": "phone", "none": "phone"}
    default_params = {"window_days": 7, "nps_max": 6, "csat_max": 2}
    default_script = "{{称呼}}您好,感谢您的评价,我是{{坐席}},想了解一下我们哪里做得不够好。"

    def _answers(self, ctx: PlanContext) -> QuerySet:
        low = Q(nps__lte=ctx.param("nps_max", 6)) | Q(csat__lte=ctx.param("csat_max", 2))
        return recent_contacts(self.key, ctx).filter(low)

    def candidates(self, ctx: PlanContext) -> QuerySet:
        latest = self._answers(ctx).order_by("-occurred_at", "-id")
        return ctx.customers.filter(Exists(self._answers(ctx))).annotate(
            src_id=Subquery(latest.values("id")[:1]),
            event_at=Subquery(latest.values("occurred_at")[:1]),
            src_nps=Subquery(latest.values("nps")[:1]),
            src_csat=Subquery(latest.values("csat")[:1]),
        )

    def due_at(self, row: dict, ctx: PlanContext, *, method: str, priority: str) -> datetime:
        return row["event_at"] + timedelta(hours=ctx.rule.due_hours or 48)

    def reason(self, row: dict, ctx: PlanContext) -> str:
        scores = []
        if row.get("src_nps") is not None:
            scores.append(f"NPS {row['src_nps']}")
        if row.get("src_csat") is not None:
            scores.append(f"CSAT {row['src_csat']}")
        return _("%(at)s 的评价偏低(%(scores)s)") % {
            "at": f"{clock.local(row['event_at']):%Y-%m-%d %H:%M}",
            "scores": "、".join(scores),
        }
