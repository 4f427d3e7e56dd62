"""投诉跟进: an open complaint that has no follow-up task yet; the apology message goes out
within an hour of intake (a service message: do-not-contact and opt-out do not stop it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes._common import task_model
from careloop.care.purposes.base import PlanContext, Purpose
from careloop.care.purposes.base import gettext as _
from careloop.core import clock


def open_complaints(key: str, ctx: PlanContext) -> QuerySet:
    from careloop.complaints.models import Complaint

    handled = task_model().objects.filter(
        purpose=key, source_type="complaint", source_id=OuterRef("pk")
    )
    return Complaint.objects.filter(
        customer_id=OuterRef("pk"), status=Complaint.Status.OPEN, opened_at__lt=ctx.now
    ).exclude(Exists(handled))


def complaint_ref() -> Coalesce:
    """What the customer and the agent call the complaint: its ticket number (TS20261125-0001),
    else the number it was imported with."""
    return Coalesce("number", "external_id")


def complaint_label(row: dict) -> str:
    return row.get("src_ref") or f"#{row['src_id']}"


@register
class ComplaintFollowup(Purpose):
    """An open complaint gets a call within a day; the customer hears from us within an hour."""

    key = "complaint_followup"
    label = gettext_lazy("投诉跟进")
    trigger_text = gettext_lazy("有未结投诉且尚未安排跟进")
    precedence = 10
    proactive = False
    event = True
    source_type = "complaint"
    marketing = False
    default_name = gettext_lazy("投诉跟进:受理后 24 小时内电话跟进")
    default_priority = "high"
    default_due_hours = 24
    default_methods = {"A": "phone", "B": "phone", "C": "phone", "none": "phone"}
    default_params = {"apology": True}
    default_script = (
        "{{称呼}}您好,关于您反映的问题我们非常抱歉,我是{{坐席}},想跟您确认一下处理进展。"
    )

    def candidates(self, ctx: PlanContext) -> QuerySet:
        first = open_complaints(self.key, ctx).order_by("opened_at", "id")
        return ctx.customers.filter(Exists(open_complaints(self.key, ctx))).annotate(
            src_id=Subquery(first.values("id")[:1]),
            src_ref=Subquery(first.values(ref=complaint_ref())[:1]),
            event_at=Subquery(first.values("opened_at")[:1]),
            src_category=Subquery(first.values("category")[:1]),
            src_severity=Subquery(first.values("severity")[:1]),
        )

    def due_at(self, row: dict, ctx: PlanContext, *, method: str, priority: str) -> datetime:
        return row["event_at"] + timedelta(hours=ctx.rule.due_hours or 24)

    def reason(self, row: dict, ctx: PlanContext) -> str:
        opened = clock.local(row["event_at"])
        text = _("投诉 %(ref)s 于 %(at)s 受理,尚未跟进") % {
            "ref": complaint_label(row),
            "at": f"{opened:%Y-%m-%d %H:%M}",
        }
        if row.get("src_category"):
            text += _("(%(category)s)") % {"category": row["src_category"]}
        return text

    def task_messages(self, row: dict, ctx: PlanContext) -> list[dict]:
        """The apology, once per complaint (the task is once per complaint), sent within the
        hour after intake — only for a complaint taken in during the last day."""
        if not ctx.param("apology", True) or row["event_at"] < ctx.now - timedelta(days=1):
            return []
        body = _(
            "%(name)s您好,您反映的问题(投诉 %(ref)s)我们已受理,"
            "非常抱歉给您带来不便,专人将尽快与您联系。"
        ) % {
            "name": row["salutation"],
            "ref": complaint_label(row),
        }
        return [
            {
                "purpose": "complaint_apology",
                "channel": "sms",
                "body": body,
                "marketing": False,
                "not_before": max(row["event_at"], ctx.now),  # at once
                # Quiet hours hold it till morning, except for severity A (production stopped).
                "respect_quiet_hours": row.get("src_severity") != "A",
                "source_type": "complaint",
                "source_id": row["src_id"],
            }
        ]
