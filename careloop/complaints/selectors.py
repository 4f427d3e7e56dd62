"""Reads on complaints, scoped to the acting user (`visible_to`); the timers of a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from careloop.accounts.models import User
from careloop.complaints import review, sla
from careloop.complaints.models import Complaint, ComplaintEvent, ComplaintStep, Department
from careloop.core import clock
from careloop.core.errors import NotFound


@dataclass(frozen=True)
class ComplaintFilters:
    q: str = ""
    status: str = ""  # open/resolved/closed, or a stage
    severity: str = ""
    overdue: bool = False
    team: int | None = None
    category: str = ""
    root_cause: str = ""
    product: str = ""
    month: str = ""  # 2026-11
    repeat: bool = False
    reopened: bool = False
    department: int | None = None
    breached: bool = False
    converted: bool = False
    escalated_to: int | None = None  # complaints whose warning/escalation notified this user
    since: date | None = None
    until: date | None = None


def complaint_list(*, user: User, filters: ComplaintFilters) -> QuerySet[Complaint]:
    qs = Complaint.objects.visible_to(user)
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(Q(number=q) | Q(external_id=q) | Q(customer__name=q))
    if filters.status in Complaint.Status.values:
        qs = qs.filter(status=filters.status)
    elif filters.status in Complaint.Stage.values:
        qs = qs.filter(stage=filters.status)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.overdue:
        now = clock.now()
        qs = qs.filter(status=Complaint.Status.OPEN, paused_at__isnull=True).filter(
            Q(first_responded_at__isnull=True, first_response_due__lte=now)
            | Q(resolution_due__lte=now)
        )
    if filters.team:
        qs = qs.filter(customer__team_id=filters.team)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.root_cause:
        qs = qs.filter(root_cause="" if filters.root_cause == "none" else filters.root_cause)
    if filters.product:
        qs = qs.filter(product=filters.product)
    if filters.month:
        try:
            year, month = (int(p) for p in filters.month.split("-"))
            start = clock.day_start(date(year, month, 1))
            end = clock.day_start(date(year + month // 12, month % 12 + 1, 1))
        except ValueError:
            return qs.none()
        qs = qs.filter(opened_at__gte=start, opened_at__lt=end)
    if filters.repeat:
        qs = qs.filter(is_repeat=True)
    if filters.reopened:
        qs = qs.filter(reopen_count__gt=0)
    if filters.breached:
        qs = qs.filter(review.breached())
    if filters.converted:
        qs = qs.filter(review.converted())
    if filters.escalated_to:
        notified = ComplaintEvent.objects.filter(notify_id=filters.escalated_to)
        qs = qs.filter(pk__in=notified.values("complaint_id"))
    if filters.since:
        qs = qs.filter(opened_at__gte=clock.day_start(filters.since))
    if filters.until:
        qs = qs.filter(opened_at__lt=clock.day_end(filters.until))
    if filters.department:
        qs = qs.filter(
            Q(department_id=filters.department)
            | Q(
                pk__in=ComplaintStep.objects.filter(department_id=filters.department).values(
                    "complaint_id"
                )
            )
        )
    return qs.select_related("customer", "customer__team", "assignee").order_by("-opened_at", "-id")


def complaint_for(user: User, complaint_id: int) -> Complaint:
    """The complaint if the user may see it; NotFound otherwise (no hint that it exists)."""
    complaint = (
        Complaint.objects.visible_to(user)
        .select_related("customer", "customer__team", "assignee", "department", "repeat_of")
        .filter(pk=complaint_id)
        .first()
    )
    if complaint is None:
        raise NotFound(_("投诉不存在或无权查看"))
    return complaint


def complaint_detail(complaint: Complaint) -> dict:
    """Everything the ticket page shows besides the complaint itself (six queries)."""
    return {
        "attachments": list(complaint.attachments.all()),
        "options": list(complaint.options.all()),
        "steps": list(complaint.steps.select_related("owner", "department")),
        "updates": list(complaint.updates.select_related("author")),
        "events": list(complaint.events.select_related("actor", "notify")),
        "repeats": list(
            Complaint.objects.filter(Q(repeat_of=complaint) | Q(pk=complaint.repeat_of_id)).only(
                "pk", "number", "external_id", "opened_at", "category", "status"
            )
        ),
    }


@dataclass(frozen=True)
class Timer:
    name: str
    due: datetime | None
    done_at: datetime | None
    hours_left: float | None  # negative when overdue
    paused: bool

    @property
    def state(self) -> str:
        if self.done_at is not None:
            return "done"
        if self.paused:
            return "paused"
        if self.hours_left is None:
            return "none"
        return "overdue" if self.hours_left < 0 else "running"

    @property
    def text(self) -> str:
        if self.done_at is not None:
            return _("已完成 %(at)s") % {"at": clock.local(self.done_at).strftime("%m-%d %H:%M")}
        if self.hours_left is None:
            return "—"
        prefix = _("已暂停,") if self.paused else ""
        if self.hours_left < 0:
            return prefix + _("已超时 %(t)s") % {"t": sla.humanize(self.hours_left)}
        return prefix + _("剩余 %(t)s") % {"t": sla.humanize(self.hours_left)}


def complaint_timers(complaint: Complaint, *, now: datetime | None = None) -> list[Timer]:
    """首次响应 and 解决 clocks: time left (or overdue) in the clock's own hours."""
    now = now or clock.now()
    at = complaint.paused_at or now
    resolved = complaint.resolved_at if complaint.status != Complaint.Status.OPEN else None
    out = []
    for name, due, done in (
        (_("首次响应"), complaint.first_response_due, complaint.first_responded_at),
        (_("解决"), complaint.resolution_due, resolved),
    ):
        left = None
        if due is not None and done is None:
            left = sla.between(at, due, business=complaint.business_hours)
        out.append(Timer(name, due, done, left, complaint.paused_at is not None))
    return out


def departments() -> QuerySet[Department]:
    return Department.objects.order_by("name")
