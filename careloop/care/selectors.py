"""Reads of the care app, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from careloop.accounts.models import User
from careloop.care.models import CallbackTask, CareRule, PlanRun
from careloop.core import clock
from careloop.core.errors import NotFound


@dataclass
class TaskFilters:
    status: str = ""  # a status, or "open" for open + in progress
    purpose: str = ""
    priority: str = ""
    assignee: str = ""  # a username, or "-" for the pool (no assignee)
    plan_date: date | None = None
    due_before: date | None = None  # due before the end of this day
    overdue: bool | None = None


def callback_task_list(*, user: User, filters: TaskFilters | None = None) -> QuerySet[CallbackTask]:
    """The tasks the user may see (admin all, supervisor the team's, agent own + team pool),
    filtered; highest priority and soonest due first."""
    f = filters or TaskFilters()
    qs = CallbackTask.objects.visible_to(user)
    if f.status == "open":
        qs = qs.open()
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.purpose:
        qs = qs.filter(purpose=f.purpose)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.assignee == "-":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee:
        qs = qs.filter(assignee__username=f.assignee)
    if f.plan_date:
        qs = qs.filter(plan_date=f.plan_date)
    if f.due_before:
        qs = qs.filter(due_at__lt=clock.day_end(f.due_before))
    if f.overdue is True:
        qs = qs.open().filter(due_at__lt=clock.now())
    elif f.overdue is False:
        qs = qs.exclude(status__in=CallbackTask.OPEN_STATUSES, due_at__lt=clock.now())
    return qs.select_related("customer", "assignee", "team").order_by(
        "priority_rank", "due_at", "id"
    )


def callback_task_for(user: User, task_id: int) -> CallbackTask:
    """The task if the user may see it; NotFound otherwise (no hint that it exists)."""
    task = (
        CallbackTask.objects.visible_to(user)
        .select_related("customer", "assignee", "team", "rule")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound(_("任务不存在或无权查看"), field="task")
    return task


def care_rules() -> QuerySet[CareRule]:
    """Every rule (rules are company-wide; supervisors and admins edit them)."""
    return CareRule.objects.select_related("audience", "updated_by").order_by("id")


def plan_runs(*, as_of: date | None = None) -> QuerySet[PlanRun]:
    qs = PlanRun.objects.select_related("user").order_by("-id")
    return qs.filter(as_of=as_of) if as_of else qs
