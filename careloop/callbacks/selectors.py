"""Reads of the agent workspace, scoped to the acting user: the queue, the task screen's
context (customer, history, script), screen pop, tickets, leads, suggestions, team queue and
the quality sample."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from careloop.accounts.models import User
from careloop.callbacks.models import (
    CallbackRecord,
    CallScript,
    FollowUpTicket,
    SalesLead,
    Suggestion,
)
from careloop.callbacks.services import queue_order
from careloop.care.models import CallbackTask
from careloop.care.selectors import callback_task_for  # noqa: F401  (re-exported)
from careloop.complaints.models import Complaint
from careloop.core import clock
from careloop.core.errors import NotFound
from careloop.customers.models import Customer, Interaction, Order
from careloop.customers.selectors import customer_by_phone

EMOTION_DAYS = 30


@dataclass
class QueueFilters:
    purpose: str = ""
    method: str = ""
    overdue: bool = False
    pool: bool = False  # the team's unassigned tasks instead of the agent's own
    later: bool = False  # also tasks scheduled for a later day (an agreed call next month)


def callback_task_queue(*, agent: User, filters: QueueFilters | None = None) -> QuerySet:
    """The agent's open tasks (or the team pool): overdue first, then priority and due time."""
    f = filters or QueueFilters()
    now = clock.now()
    if f.pool:
        qs = (
            CallbackTask.objects.filter(team_id=agent.team_id, assignee__isnull=True, status="open")
            if agent.team_id
            else CallbackTask.objects.none()
        )
    else:
        qs = CallbackTask.objects.filter(
            assignee_id=agent.pk, status__in=CallbackTask.OPEN_STATUSES
        )
    if f.purpose:
        qs = qs.filter(purpose=f.purpose)
    if f.method:
        qs = qs.filter(method=f.method)
    if f.overdue:
        qs = qs.filter(due_at__lt=now)
    if not f.later:
        qs = qs.filter(plan_date__lte=clock.today())
    return qs.select_related("customer").order_by(*queue_order(now))


def queue_counts(agent: User) -> dict[str, int]:
    """Own open, own in progress, own overdue (of what is in the queue today) and team-pool
    counts for the header: one query."""
    now = clock.now()
    mine = Q(assignee_id=agent.pk, plan_date__lte=clock.today())
    scope = mine & Q(status__in=CallbackTask.OPEN_STATUSES)
    if agent.team_id:
        scope |= Q(team_id=agent.team_id, assignee__isnull=True, status=CallbackTask.Status.OPEN)
    return CallbackTask.objects.filter(scope).aggregate(
        mine=Count("pk", filter=mine & Q(status=CallbackTask.Status.OPEN)),
        in_progress=Count("pk", filter=mine & Q(status=CallbackTask.Status.IN_PROGRESS)),
        overdue=Count("pk", filter=mine & Q(due_at__lt=now)),
        pool=Count("pk", filter=Q(assignee__isnull=True)),
    )


# --- the task screen ----------------------------------------------------------------------------


def script_for(task: CallbackTask) -> CallScript | None:
    """The script of the task's purpose for the customer's value class, else for any class."""
    scripts = {
        s.value_class: s
        for s in CallScript.objects.filter(
            purpose=task.purpose, value_class__in=["", task.customer.value_class or ""]
        )
    }
    return scripts.get(task.customer.value_class or "") or scripts.get("")


PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


def fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")


@dataclass
class FilledScript:
    opening: str
    questions: list[str]
    on_refusal: str
    on_angry: str
    closing: str
    suggestions: str
    version: int
    script_id: int | None = None


def script_values(task: CallbackTask, agent: User, *, last_order, complaint) -> dict[str, str]:
    customer = task.customer
    days = ""
    if customer.last_order_at:
        days = str((clock.today() - clock.local(customer.last_order_at).date()).days)
    return {
        "称呼": customer.salutation,
        "姓名": customer.name,
        "公司": customer.company or customer.name,
        "原因": task.reason,
        "坐席": agent.display_name or agent.username,
        "最近产品": (last_order.product if last_order and last_order.product else _("产品")),
        "投诉编号": (complaint.label if complaint else _("您反馈的问题")),
        "距上次下单天数": days or _("一段时间"),
    }


def script_filled(script: CallScript | None, values: dict[str, str], task) -> FilledScript | None:
    if script is None:
        return None
    suggestions = fill(script.suggestions, values)
    if task.rule_id and task.rule.script_template:
        suggestions = "\n".join(
            s for s in [suggestions, fill(task.rule.script_template, values)] if s
        )
    return FilledScript(
        opening=fill(script.opening, values),
        questions=[q for q in fill(script.questions, values).splitlines() if q.strip()],
        on_refusal=fill(script.on_refusal, values),
        on_angry=fill(script.on_angry, values),
        closing=fill(script.closing, values),
        suggestions=suggestions,
        version=script.version,
        script_id=script.pk,
    )


@dataclass
class History:
    orders: list = field(default_factory=list)
    complaints: list = field(default_factory=list)
    last_record: CallbackRecord | None = None
    last_survey: Interaction | None = None
    emotion_flags: list = field(default_factory=list)


def customer_history(customer: Customer, *, exclude_task: int | None = None) -> History:
    """What an agent needs before calling: the last 3 orders, open and recent complaints, the
    last callback with its feedback, the last survey scores and recent high-risk contacts."""
    since = clock.now() - timedelta(days=EMOTION_DAYS)
    orders = list(Order.objects.filter(customer=customer).order_by("-ordered_at", "-id")[:3])
    complaints = list(
        Complaint.objects.filter(customer=customer)
        .filter(
            Q(status=Complaint.Status.OPEN) | Q(opened_at__gte=clock.now() - timedelta(days=180))
        )
        .order_by("-opened_at", "-id")[:3]
    )
    last_record = (
        CallbackRecord.objects.filter(customer=customer)
        .select_related("agent")
        .prefetch_related("items")
        .order_by("-created_at", "-id")
        .first()
    )
    last_survey = (
        Interaction.objects.filter(customer=customer)
        .filter(Q(nps__isnull=False) | Q(csat__isnull=False))
        .order_by("-occurred_at", "-id")
        .first()
    )
    flags = list(
        Interaction.objects.filter(customer=customer, occurred_at__gte=since)
        .filter(Q(high_risk=True) | Q(emotion__in=["angry", "dissatisfied", "anxious"]))
        .order_by("-occurred_at", "-id")[:3]
    )
    return History(orders, complaints, last_record, last_survey, flags)


def task_screen(task: CallbackTask, user: User) -> dict:
    history = customer_history(task.customer)
    complaint = None
    if task.source_type == "complaint" and task.source_id:
        complaint = next((c for c in history.complaints if c.pk == task.source_id), None) or (
            Complaint.objects.filter(pk=task.source_id).first()
        )
    elif history.complaints:
        complaint = history.complaints[0]
    last_order = history.orders[0] if history.orders else None
    values = script_values(task, user, last_order=last_order, complaint=complaint)
    return {
        "history": history,
        "script": script_filled(script_for(task), values, task),
    }


# --- screen pop ----------------------------------------------------------------------------------


def screen_pop(user: User, phone: str) -> dict:
    """An incoming call: the customer, their open tasks and complaints, the last contact and
    the suggested opening line. NotFound if no visible customer has the number."""
    customer = customer_by_phone(user, phone)
    tasks = list(
        CallbackTask.objects.visible_to(user)
        .filter(customer=customer, status__in=CallbackTask.OPEN_STATUSES)
        .select_related("assignee")
        .order_by("priority_rank", "due_at", "id")[:10]
    )
    complaints = list(
        Complaint.objects.filter(customer=customer).open().order_by("-opened_at")[:10]
    )
    last_contact = (
        Interaction.objects.filter(customer=customer).order_by("-occurred_at", "-id").first()
    )
    if tasks:
        purpose = tasks[0].get_purpose_display()
        opening = _("%(name)s您好!正好我们有一项%(purpose)s想跟您沟通,请问有什么可以帮您?") % {
            "name": customer.salutation,
            "purpose": purpose,
        }
    elif complaints:
        opening = _("%(name)s您好!您反馈的问题(%(no)s)我们正在处理,请问今天有什么可以帮您?") % {
            "name": customer.salutation,
            "no": complaints[0].label,
        }
    else:
        opening = _("%(name)s您好!感谢您的来电,请问有什么可以帮您?") % {"name": customer.salutation}
    return {
        "customer": customer,
        "tasks": tasks,
        "complaints": complaints,
        "last_contact": last_contact,
        "opening": opening,
    }


# --- loop closing lists ------------------------------------------------------------------------


def tickets_visible(user: User, *, status: str = "open") -> QuerySet[FollowUpTicket]:
    qs = FollowUpTicket.objects.visible_to(user)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("customer", "department", "agent", "item").order_by("deadline", "id")


def departments_resolvable_by(user: User) -> set[int] | None:
    """The departments whose tickets the user may resolve (None: all, for admins)."""
    if user.is_admin:
        return None
    from careloop.complaints.models import Department

    return set(
        Department.objects.filter(Q(members=user) | Q(head=user)).values_list("pk", flat=True)
    )


def ticket_for(user: User, ticket_id: int) -> FollowUpTicket:
    ticket = tickets_visible(user, status="").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("工单不存在或无权查看"), field="ticket")
    return ticket


def suggestions_board(
    *, user: User, status: str = "", month: date | None = None
) -> QuerySet[Suggestion]:
    """Suggestions of the customers the user may see (a supervisor: their team's)."""
    qs = Suggestion.objects.filter(
        customer__in=Customer.objects.visible_to(user).values("id")
    ).select_related("customer", "item__record__agent", "reviewed_by")
    if status:
        qs = qs.filter(status=status)
    if month:
        start = clock.day_start(month.replace(day=1))
        end_day = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        qs = qs.filter(created_at__gte=start, created_at__lt=clock.day_start(end_day))
    return qs.order_by("-created_at", "-id")


def sales_leads(user: User, *, status: str = "") -> QuerySet[SalesLead]:
    qs = SalesLead.objects.visible_to(user)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("customer", "owner", "item").order_by("follow_up_on", "id")


# --- supervisors -----------------------------------------------------------------------------


def team_queue(user: User, *, assignee: str = "") -> QuerySet[CallbackTask]:
    """All open tasks of the supervisor's team (admin: all), by agent, then the queue order."""
    qs = CallbackTask.objects.visible_to(user).open()
    if assignee == "-":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee__username=assignee)
    return qs.select_related("customer", "assignee").order_by(
        F("assignee_id").asc(nulls_first=True), *queue_order(clock.now())
    )


def team_load(user: User) -> list[dict]:
    """Open and overdue tasks per agent of the team (admin: every team), pool as None: one
    grouped query."""
    now = clock.now()
    return list(
        CallbackTask.objects.visible_to(user)
        .open()
        .values("assignee_id", "assignee__display_name", "assignee__username")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
        .order_by(F("assignee_id").asc(nulls_first=True))
    )


def quality_sample(user: User, *, days: int = 7, per_agent: int = 3) -> QuerySet[CallbackRecord]:
    """Records to spot-check: reached calls of the last `days` days, `per_agent` per agent,
    picked by a hash of the id that changes every week (stable within a week)."""
    since = clock.now() - timedelta(days=days)
    seed = clock.today().isocalendar().week
    qs = CallbackRecord.objects.filter(
        outcome="reached", created_at__gte=since, agent__isnull=False
    )
    if not user.is_admin:
        qs = qs.filter(agent__team_id=user.team_id) if user.team_id else qs.none()
    ranked = qs.annotate(
        pick=Window(
            RowNumber(),
            partition_by=[F("agent_id")],
            order_by=[((F("id") * 7919 + seed) % 10007).asc(), F("id").asc()],
        )
    ).filter(pick__lte=per_agent)
    return ranked.select_related("agent", "customer", "task", "review").order_by(
        "agent_id", "-created_at"
    )


def record_for(user: User, record_id: int) -> CallbackRecord:
    qs = CallbackRecord.objects.select_related("agent", "customer", "task")
    if not user.is_admin:
        qs = qs.filter(agent__team_id=user.team_id) if user.team_id else qs.none()
    record = qs.filter(pk=record_id).first()
    if record is None:
        raise NotFound(_("回访记录不存在或无权查看"), field="record")
    return record
