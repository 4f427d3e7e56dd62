"""处理回访: a complaint marked resolved gets a call within 24 hours (48 at most) to confirm the
customer agrees; closure waits for it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes._common import task_model
from careloop.care.purposes.base import PlanContext, Purpose
from careloop.care.purposes.base import gettext as _
from careloop.care.purposes.complaint_followup import complaint_label, complaint_ref
from careloop.core import clock


@register
class ResolutionCheck(Purpose):
    """Confirm with the customer that the resolution worked."""

    key = "resolution_check"
    label = gettext_lazy("处理回访")
    trigger_text = gettext_lazy("投诉近 7 天内已解决且尚未回访确认")
    precedence = 20
    proactive = False
    event = True
    source_type = "complaint"
    marketing = False
    default_name = gettext_lazy("处理回访:投诉解决后 24 小时内回访确认")
    default_priority = "high"
    default_due_hours = 24
    default_methods = {"A": "phone", "B": "phone", "C": "phone", "none": "phone"}
    # Complaints resolved in the last `window_days` days (older ones were closed long ago);
    # a task planned later than `due_hours` after the resolution is due at `max_hours`.
    default_params = {"window_days": 7, "max_hours": 48}
    default_script = "{{称呼}}您好,您之前反映的问题已处理完毕,想跟您确认一下结果是否满意。"

    def _resolved(self, ctx: PlanContext) -> QuerySet:
        from careloop.complaints.models import Complaint

        handled = task_model().objects.filter(
            purpose=self.key, source_type="complaint", source_id=OuterRef("pk")
        )
        return Complaint.objects.filter(
            customer_id=OuterRef("pk"),
            status=Complaint.Status.RESOLVED,
            resolved_at__lt=ctx.now,
            resolved_at__gte=ctx.day_start(-(ctx.param("window_days", 7) - 1)),
        ).exclude(Exists(handled))

    def candidates(self, ctx: PlanContext) -> QuerySet:
        first = self._resolved(ctx).order_by("resolved_at", "id")
        return ctx.customers.filter(Exists(self._resolved(ctx))).annotate(
            src_id=Subquery(first.values("id")[:1]),
            src_ref=Subquery(first.values(ref=complaint_ref())[:1]),
            event_at=Subquery(first.values("resolved_at")[:1]),
        )

    def due_at(self, row: dict, ctx: PlanContext, *, method: str, priority: str) -> datetime:
        """Resolved + 24 h; when the plan sees it only after that, resolved + 48 h; when even
        that has passed, 24 h from now (still a high-priority call)."""
        due = row["event_at"] + timedelta(hours=ctx.rule.due_hours or 24)
        if due > ctx.now:
            return due
        latest = row["event_at"] + timedelta(hours=ctx.param("max_hours", 48))
        return latest if latest > ctx.now else ctx.now + timedelta(hours=24)

    def reason(self, row: dict, ctx: PlanContext) -> str:
        return _("投诉 %(ref)s 已于 %(at)s 解决,需回访确认处理结果") % {
            "ref": complaint_label(row),
            "at": f"{clock.local(row['event_at']):%Y-%m-%d %H:%M}",
        }
