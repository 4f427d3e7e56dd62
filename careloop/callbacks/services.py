"""Writes of the agent workspace: claim the next task, record a callback (回访记录表) and close
the loop (tickets, leads, suggestions), unreached attempts, visit plans and appointment notices,
call scripts (versioned) and quality reviews (质检). Every write is keyword-only and atomic."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.accounts.models import User
from careloop.accounts.services import audit_record
from careloop.callbacks import conf
from careloop.callbacks.models import (
    CallbackRecord,
    CallScript,
    CallScriptVersion,
    DepartmentSetting,
    FeedbackItem,
    FollowUpTicket,
    Outcome,
    QualityReview,
    SalesLead,
    Satisfaction,
    Suggestion,
    VisitPlan,
)
from careloop.care.models import PRIORITY_RANK, CallbackTask, CareRule, Method, Priority
from careloop.complaints.models import Department
from careloop.core import clock
from careloop.core.errors import DomainError, PermissionDenied
from careloop.customers.models import Customer, Interaction
from careloop.customers.services import interaction_create
from careloop.emotion.services import interaction_emotion
from careloop.messaging.services import (
    MessageDraft,
    message_schedule,
    messages_cancel,
    messages_schedule_bulk,
)
from careloop.workcal.services import add_working_days, business_hours, is_working_day

log = logging.getLogger(__name__)

Status = CallbackTask.Status
NOTES_MAX = 2000
ITEMS_MAX = 10
LEAD_FOLLOW_DAYS = 30
URGENT_HOURS = 24
RESOLUTION_CHECK_HOURS = 24
NOTICE_AT = time(10, 0)
# Contact channel of a callback on the customer's timeline, by task method.
CHANNEL_OF_METHOD = {
    "phone": "phone",
    "visit": "visit",
    "sms": "sms",
    "wechat": "wechat",
    "email": "email",
    "survey": "web",
}


class TaskNotYours(DomainError):
    code, status = "task_not_yours", 409


def _require_supervisor(user: User) -> None:
    if not (user.is_admin or user.is_supervisor):
        raise PermissionDenied(_("只有主管或管理员可以执行此操作"))


# --- the queue: claim the next task ------------------------------------------------------------


def queue_order(now: datetime) -> list:
    """Overdue first (SLA risk), then priority, then the due time."""
    late = Case(When(due_at__lt=now, then=Value(0)), default=Value(1), output_field=IntegerField())
    return [late, "priority_rank", "due_at", "id"]


def claimable(agent: User):
    """Open tasks the agent may take: their own, and their team's pool (no assignee)."""
    scope = Q(assignee_id=agent.pk)
    if agent.team_id:
        scope |= Q(team_id=agent.team_id, assignee__isnull=True)
    return CallbackTask.objects.filter(scope, status=Status.OPEN)


@transaction.atomic
def callback_task_claim_next(*, agent: User, tries: int = 5) -> CallbackTask | None:
    """Claim the agent's next open task (own first by the queue order, the team pool too):
    it becomes 处理中 and the agent's. Two agents pressing at once never get the same task:
    PostgreSQL skips rows another transaction has locked, and the conditional UPDATE (still
    open, still unassigned or the agent's) lets only one of them win on any engine."""
    now = clock.now()
    skip = connection.features.has_select_for_update_skip_locked
    for _attempt in range(tries):
        # What is in today's queue: a call agreed for a later day waits for that day.
        candidates = claimable(agent).filter(plan_date__lte=clock.today())
        candidates = candidates.order_by(*queue_order(now))
        if skip:
            candidates = candidates.select_for_update(skip_locked=True)
        task = candidates.first()
        if task is None:
            return None
        won = (
            CallbackTask.objects.filter(pk=task.pk, status=Status.OPEN)
            .filter(Q(assignee__isnull=True) | Q(assignee_id=agent.pk))
            .update(status=Status.IN_PROGRESS, assignee=agent)
        )
        if won:
            return _claimed(task, agent)
    return None


def _claimed(task: CallbackTask, agent: User) -> CallbackTask:
    """The task as the winning UPDATE left it, audited."""
    task.status, task.assignee = Status.IN_PROGRESS, agent
    audit_record(
        actor=agent,
        action="callback_task.claim",
        target=task,
        customer_id=task.customer_id,
        detail={"purpose": task.purpose},
    )
    return task


@transaction.atomic
def callback_task_claim(*, task: CallbackTask, agent: User) -> CallbackTask:
    """Claim one open task of the agent's own or of their team's pool (conditional UPDATE:
    a task someone else took in between is refused, never shared)."""
    won = claimable(agent).filter(pk=task.pk).update(status=Status.IN_PROGRESS, assignee=agent)
    if not won:
        raise TaskNotYours(_("任务已由他人领取或已关闭"), field="task")
    return _claimed(task, agent)


# --- tasks this app creates (resolution checks, lead re-follows) -------------------------------


def _free_plan_date(customer_id: int, purpose: str, start: date) -> date:
    """A task is unique per (customer, purpose, plan date): the first free day from `start`."""
    taken = set(
        CallbackTask.objects.filter(
            customer_id=customer_id, purpose=purpose, plan_date__gte=start
        ).values_list("plan_date", flat=True)
    )
    day = start
    while day in taken:
        day += timedelta(days=1)
    return day


def _task_create(
    *,
    customer: Customer,
    purpose: str,
    due_at: datetime,
    assignee: User | None,
    reason: str,
    source_type: str,
    source_id: int,
    priority: str = Priority.HIGH,
    method: str = Method.PHONE,
    starts_on: date | None = None,
) -> CallbackTask | None:
    """A task outside the daily plan; None when the customer already has an open one for
    this purpose (one open task per purpose, DESIGN.md §3).

    `plan_date` is the day the task enters the agent's queue: `starts_on`, else the day it is
    due (a call agreed for next month waits until then)."""
    existing = CallbackTask.objects.open().filter(customer_id=customer.pk, purpose=purpose).first()
    if existing is not None:
        return None
    rule = CareRule.objects.filter(purpose=purpose).order_by("id").first()
    team_id = (assignee.team_id if assignee else None) or customer.team_id
    task = CallbackTask(
        customer=customer,
        purpose=purpose,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        method=method,
        due_at=due_at,
        assignee=assignee if assignee is not None and assignee.is_active else None,
        team_id=team_id,
        rule=rule,
        rule_version=rule.version if rule else None,
        reason=reason[:255],
        plan_date=_free_plan_date(customer.pk, purpose, starts_on or clock.local(due_at).date()),
        source_type=source_type,
        source_id=source_id,
    )
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:  # a concurrent writer made the same task first
        return None
    return task


# --- the callback record (回访记录表) -----------------------------------------------------------


@dataclass
class ItemIn:
    kind: str
    text: str
    urgency: str = FeedbackItem.Urgency.NORMAL
    department_id: int | None = None


def _clean_items(items: Iterable[ItemIn | dict]) -> list[ItemIn]:
    cleaned: list[ItemIn] = []
    for n, raw in enumerate(items, start=1):
        item = raw if isinstance(raw, ItemIn) else ItemIn(**raw)
        text = (item.text or "").strip()
        if not text:
            continue
        where = {"n": n}
        if item.kind not in FeedbackItem.Kind.values:
            raise DomainError(_("第 %(n)s 条反馈:请选择反馈类型") % where, field="items")
        if len(text) > 500:
            raise DomainError(_("第 %(n)s 条反馈:内容最多 500 字") % where, field="items")
        urgency = item.urgency or FeedbackItem.Urgency.NORMAL
        if urgency not in FeedbackItem.Urgency.values:
            raise DomainError(_("第 %(n)s 条反馈:未知的紧急程度") % where, field="items")
        if item.kind == FeedbackItem.Kind.ISSUE and not item.department_id:
            raise DomainError(_("第 %(n)s 条反馈:需跟进问题须选择处理部门") % where, field="items")
        cleaned.append(ItemIn(item.kind, text, urgency, item.department_id))
    if len(cleaned) > ITEMS_MAX:
        raise DomainError(_("反馈条目最多 %(max)s 条") % {"max": ITEMS_MAX}, field="items")
    departments = {i.department_id for i in cleaned if i.kind == FeedbackItem.Kind.ISSUE}
    if departments and Department.objects.filter(pk__in=departments).count() != len(departments):
        raise DomainError(_("处理部门不存在"), field="items")
    return cleaned


def _check_record(
    *, outcome, method, duration_seconds, satisfaction, csat, notes, next_contact_on, call_back_at
) -> None:
    if outcome not in Outcome.values:
        raise DomainError(_("请选择回访结果"), field="outcome")
    if method and method not in Method.values:
        raise DomainError(_("未知的回访方式:%(value)s") % {"value": method}, field="method")
    if duration_seconds is not None and not 0 <= duration_seconds <= 4 * 3600:
        raise DomainError(_("通话时长须在 0–240 分钟之间"), field="duration_seconds")
    if satisfaction and satisfaction not in Satisfaction.values:
        raise DomainError(
            _("未知的满意度:%(value)s") % {"value": satisfaction}, field="satisfaction"
        )
    if csat is not None and not 1 <= csat <= 5:
        raise DomainError(_("CSAT 评分须为 1–5"), field="csat")
    if len(notes) > NOTES_MAX:
        raise DomainError(_("备注最多 %(max)s 字") % {"max": NOTES_MAX}, field="notes")
    if next_contact_on is not None and next_contact_on < clock.today():
        raise DomainError(_("下次联系日期不能早于今天"), field="next_contact_on")
    if outcome == Outcome.CALL_LATER:
        if call_back_at is None:
            raise DomainError(_("请填写约定回拨时间"), field="call_back_at")
        if call_back_at <= clock.now():
            raise DomainError(_("约定回拨时间须晚于现在"), field="call_back_at")
        if call_back_at > clock.now() + timedelta(days=60):
            raise DomainError(_("约定回拨时间最多在 60 天内"), field="call_back_at")
    reached = outcome == Outcome.REACHED
    if not reached and (satisfaction or csat is not None):
        raise DomainError(_("只有接通的回访才能填写满意度"), field="satisfaction")


@transaction.atomic
def callback_task_complete(
    *,
    task: CallbackTask,
    agent: User,
    outcome: str,
    method: str = "",
    duration_seconds: int | None = None,
    satisfaction: str = "",
    csat: int | None = None,
    notes: str = "",
    next_contact_on: date | None = None,
    call_back_at: datetime | None = None,
    items: Iterable[ItemIn | dict] = (),
) -> CallbackRecord:
    """Record one call on the agent's task and act on it: reached or refused closes the task
    (done), a wrong number closes it as unreached, "call back later" moves it to the agreed
    time, an unreached call is retried at another time of day until the last attempt, which
    sends a message and closes the task. Feedback items become a ticket (issue), a sales lead
    (need) or a suggestion. Nothing is written when anything is refused."""
    notes = (notes or "").strip()
    method = method or task.method
    _check_record(
        outcome=outcome,
        method=method,
        duration_seconds=duration_seconds,
        satisfaction=satisfaction,
        csat=csat,
        notes=notes,
        next_contact_on=next_contact_on,
        call_back_at=call_back_at,
    )
    cleaned = _clean_items(items)
    if cleaned and outcome != Outcome.REACHED:
        raise DomainError(_("只有接通的回访才能登记客户反馈"), field="items")
    task = (
        CallbackTask.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=task.pk)
    )
    if task.assignee_id != agent.pk or task.status not in CallbackTask.OPEN_STATUSES:
        raise TaskNotYours(_("任务已由他人处理或已完成"), field="task")
    customer = task.customer
    now = clock.now()
    task.attempts += 1

    interaction = None
    if outcome in (Outcome.REACHED, Outcome.REFUSED, Outcome.CALL_LATER) and (notes or csat):
        interaction = interaction_create(
            actor=agent,
            customer=customer,
            kind=Interaction.Kind.CALLBACK,
            channel=CHANNEL_OF_METHOD.get(method, ""),
            text=notes,
            csat=csat,
        )
        emotion = {"emotion": interaction.emotion, "high_risk": interaction.high_risk}
    elif notes:
        fields = interaction_emotion(notes)
        emotion = {"emotion": fields["emotion"], "high_risk": fields["high_risk"]}
    else:
        emotion = {}
    record = CallbackRecord(
        task=task,
        customer=customer,
        agent=agent,
        outcome=outcome,
        method=method,
        attempt=task.attempts,
        duration_seconds=duration_seconds,
        satisfaction=satisfaction,
        csat=csat,
        notes=notes,
        next_contact_on=next_contact_on,
        call_back_at=call_back_at if outcome == Outcome.CALL_LATER else None,
        interaction=interaction,
        **emotion,
    )
    record.full_clean(exclude=["task", "customer", "agent", "interaction"])
    record.save()

    fields = ["attempts", "status"]
    if outcome in (Outcome.REACHED, Outcome.REFUSED):
        task.status, task.closed_at = Status.DONE, now
        fields.append("closed_at")
    elif outcome == Outcome.WRONG_NUMBER:
        task.status, task.closed_at = Status.UNREACHED, now
        fields.append("closed_at")
    elif outcome == Outcome.CALL_LATER:
        task.status, task.due_at, task.overdue_at = Status.OPEN, call_back_at, None
        fields += ["due_at", "overdue_at"]
    else:
        fields += _unreached(task, now)
    task.save(update_fields=fields)

    for item in cleaned:
        _follow_up(record=record, task=task, agent=agent, item=item, now=now)
    if outcome == Outcome.REACHED and next_contact_on is not None:
        _task_create(
            customer=customer,
            purpose=task.purpose,
            due_at=timezone.make_aware(datetime.combine(next_contact_on, NOTICE_AT)),
            assignee=agent,
            reason=_("约定 %(day)s 再次联系(上次回访:%(notes)s)")
            % {"day": next_contact_on.isoformat(), "notes": notes[:60] or _("无备注")},
            source_type="callback_record",
            source_id=record.pk,
            priority=task.priority,
            method=task.method,
        )
    audit_record(
        actor=agent,
        action="callback.record",
        target=record,
        customer_id=customer.pk,
        detail={
            "task": task.pk,
            "outcome": outcome,
            "attempt": task.attempts,
            "items": [i.kind for i in cleaned],
        },
    )
    log.info("callback.record", extra={"task": task.pk, "outcome": outcome})
    return record


# --- unreached: another time of day, then a message --------------------------------------------


def attempt_slots() -> list[time]:
    """Morning, afternoon and late afternoon inside business hours (09:00–18:00 → 10:00,
    14:30, 17:00)."""
    opens, closes = business_hours()

    def clamp(moment: time) -> time:
        return min(max(moment, opens), closes)

    late = (datetime.combine(date.min, closes) - timedelta(hours=1)).time()
    return [clamp(time(10, 0)), clamp(time(14, 30)), clamp(late)]


def slot_of(moment: datetime) -> int:
    """0 morning, 1 afternoon, 2 evening (company time)."""
    hour = clock.local(moment).hour
    return 0 if hour < 12 else 1 if hour < 16 else 2


def next_attempt_at(now: datetime) -> datetime:
    """The next attempt at the next time of day: morning → afternoon → evening → the next
    working day's morning."""
    slots = attempt_slots()
    local = clock.local(now)
    index = slot_of(now) + 1
    day = local.date()
    if index >= len(slots) or not is_working_day(day):
        index, day = 0, add_working_days(day, 1)
    moment = timezone.make_aware(datetime.combine(day, slots[index]))
    if moment <= now:  # e.g. a morning attempt after 14:30: take the evening slot
        moment = timezone.make_aware(datetime.combine(day, slots[-1]))
        if moment <= now:
            moment = timezone.make_aware(datetime.combine(add_working_days(day, 1), slots[0]))
    return moment


def _unreached(task: CallbackTask, now: datetime) -> list[str]:
    if task.attempts < conf.max_attempts():
        task.status, task.due_at, task.overdue_at = Status.OPEN, next_attempt_at(now), None
        return ["due_at", "overdue_at"]
    task.status, task.closed_at = Status.UNREACHED, now
    customer = task.customer
    body = _(
        "%(name)s您好,我们近日多次致电未能联系到您。如需帮助,请回复本短信或致电客服,"
        "我们随时为您服务。"
    ) % {"name": customer.salutation}
    message_schedule(
        customer=customer,
        purpose="callback_unreached",
        body=body,
        source_type="callback_task",
        source_id=task.pk,
    )
    return ["closed_at"]


# --- closing the loop ---------------------------------------------------------------------------


def ticket_deadline(department_id: int, *, urgent: bool, now: datetime) -> datetime:
    if urgent:
        return now + timedelta(hours=URGENT_HOURS)
    setting = DepartmentSetting.objects.filter(department_id=department_id).first()
    return now + timedelta(days=setting.normal_days if setting else 30)


def _follow_up(*, record, task, agent, item: ItemIn, now: datetime) -> None:
    feedback = FeedbackItem.objects.create(
        record=record, kind=item.kind, urgency=item.urgency, text=item.text
    )
    customer = task.customer
    if item.kind == FeedbackItem.Kind.ISSUE:
        urgent = item.urgency == FeedbackItem.Urgency.URGENT
        ticket = FollowUpTicket.objects.create(
            item=feedback,
            customer=customer,
            department_id=item.department_id,
            agent=agent,
            urgent=urgent,
            deadline=ticket_deadline(item.department_id, urgent=urgent, now=now),
        )
        audit_record(
            actor=agent,
            action="followup_ticket.create",
            target=ticket,
            customer_id=customer.pk,
            detail={"department": item.department_id, "urgent": urgent},
        )
    elif item.kind == FeedbackItem.Kind.NEED:
        owner = customer.owner if customer.owner_id and customer.owner.is_active else agent
        follow_up_on = clock.today() + timedelta(days=LEAD_FOLLOW_DAYS)
        lead = SalesLead.objects.create(
            item=feedback, customer=customer, owner=owner, follow_up_on=follow_up_on
        )
        lead.follow_task = _task_create(
            customer=customer,
            purpose="retention",
            due_at=timezone.make_aware(datetime.combine(follow_up_on, NOTICE_AT)),
            assignee=owner,
            reason=_("销售线索再次跟进:%(text)s") % {"text": item.text[:100]},
            source_type="sales_lead",
            source_id=lead.pk,
            priority=Priority.MEDIUM,
        )
        if lead.follow_task:
            lead.save(update_fields=["follow_task"])
        audit_record(actor=agent, action="sales_lead.create", target=lead, customer_id=customer.pk)
    else:
        Suggestion.objects.create(item=feedback, customer=customer, text=item.text)


def _may_resolve(ticket: FollowUpTicket, user: User) -> bool:
    if user.is_admin or ticket.department.head_id == user.pk:
        return True
    return ticket.department.members.filter(pk=user.pk).exists()


@transaction.atomic
def followup_ticket_resolve(
    *, ticket: FollowUpTicket, user: User, resolution: str
) -> FollowUpTicket:
    """The department says the issue is solved; the agent who raised it gets a
    `resolution_check` task (due in 24 h) to tell the customer and confirm."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError(_("请填写处理结果"), field="resolution")
    if len(resolution) > NOTES_MAX:
        raise DomainError(_("处理结果最多 %(max)s 字") % {"max": NOTES_MAX}, field="resolution")
    ticket = (
        FollowUpTicket.objects.select_for_update(of=("self",))
        .select_related("department", "customer", "agent")
        .get(pk=ticket.pk)
    )
    if not _may_resolve(ticket, user):
        raise PermissionDenied(_("只有处理部门的成员可以处理该工单"))
    if ticket.status != FollowUpTicket.Status.OPEN:
        raise DomainError(_("工单已处理"), field="ticket")
    now = clock.now()
    ticket.status, ticket.resolution = FollowUpTicket.Status.RESOLVED, resolution
    ticket.resolved_by, ticket.resolved_at = user, now
    reason = _("工单 %(no)s 已由%(dept)s处理:%(text)s,请告知客户并确认效果") % {
        "no": ticket.number,
        "dept": ticket.department.name,
        "text": resolution[:80],
    }
    ticket.resolution_task = _task_create(
        customer=ticket.customer,
        purpose="resolution_check",
        due_at=now + timedelta(hours=RESOLUTION_CHECK_HOURS),
        starts_on=clock.today(),  # tell the customer now, not only when it is due
        assignee=ticket.agent,
        reason=reason,
        source_type="followup_ticket",
        source_id=ticket.pk,
    )
    if ticket.resolution_task is None:  # an open resolution check already: say it there too
        existing = (
            CallbackTask.objects.open()
            .select_for_update()
            .filter(customer_id=ticket.customer_id, purpose="resolution_check")
            .first()
        )
        if existing is not None:
            existing.reason = f"{existing.reason};{reason}"[:255]
            existing.save(update_fields=["reason"])
            ticket.resolution_task = existing
    ticket.save()
    audit_record(
        actor=user,
        action="followup_ticket.resolve",
        target=ticket,
        customer_id=ticket.customer_id,
        detail={"task": ticket.resolution_task_id},
    )
    return ticket


@transaction.atomic
def sales_lead_update(*, lead: SalesLead, user: User, status: str) -> SalesLead:
    if status not in SalesLead.Status.values:
        raise DomainError(_("未知的线索状态:%(value)s") % {"value": status}, field="status")
    if not (user.is_admin or user.is_supervisor or lead.owner_id == user.pk):
        raise PermissionDenied(_("只有线索负责人或主管可以修改"))
    lead.status = status
    lead.save(update_fields=["status"])
    audit_record(
        actor=user,
        action="sales_lead.update",
        target=lead,
        customer_id=lead.customer_id,
        detail={"status": status},
    )
    return lead


@transaction.atomic
def suggestion_review(
    *, suggestion: Suggestion, user: User, status: str, note: str = ""
) -> Suggestion:
    """A supervisor's monthly review: accepted, done or declined (with a note)."""
    _require_supervisor(user)
    if status not in Suggestion.Status.values:
        raise DomainError(_("未知的建议状态:%(value)s") % {"value": status}, field="status")
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError(_("评审意见最多 500 字"), field="review_note")
    if status == Suggestion.Status.DECLINED and not note:
        raise DomainError(_("不采纳时请填写评审意见"), field="review_note")
    suggestion.status, suggestion.review_note = status, note
    suggestion.reviewed_by, suggestion.reviewed_at = user, clock.now()
    suggestion.save()
    audit_record(
        actor=user,
        action="suggestion.review",
        target=suggestion,
        customer_id=suggestion.customer_id,
        detail={"status": status},
    )
    return suggestion


# --- appointment notices and visit plans --------------------------------------------------------


def _notice_body(task: CallbackTask, *, visit: VisitPlan | None = None) -> str:
    due = clock.local(task.due_at)
    values = {
        "name": task.customer.salutation,
        "when": due.strftime("%m月%d日 %H:%M"),
    }
    if visit is not None:
        values.update(people=visit.people, agenda=visit.agenda[:120])
        return (
            _(
                "%(name)s您好,我们计划于 %(when)s 上门拜访,拜访人员:%(people)s;"
                "议程:%(agenda)s。如需调整时间请回复本短信。"
            )
            % values
        )
    return (
        _(
            "%(name)s您好,我们的客户经理将于 %(when)s 给您致电回访,约 3–5 分钟。"
            "如不方便请回复本短信告知合适的时间。"
        )
        % values
    )


def notice_moment(task: CallbackTask) -> datetime:
    """Visits: 3 working days before, 10:00; calls: the day before, 10:00."""
    due_day = clock.local(task.due_at).date()
    if task.method == Method.VISIT:
        day = add_working_days(due_day, -3)
    else:
        day = due_day - timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, NOTICE_AT))


@transaction.atomic
def visit_plan_save(*, task: CallbackTask, user: User, people: str, agenda: str) -> VisitPlan:
    """Record who visits and the agenda; (re)schedule the notice 3 working days before."""
    people, agenda = (people or "").strip(), (agenda or "").strip()
    if task.method != Method.VISIT:
        raise DomainError(_("只有上门回访任务可以填写上门计划"), field="task")
    if not task.is_open:
        raise DomainError(_("任务已关闭"), field="task")
    if not (user.is_admin or user.is_supervisor or task.assignee_id == user.pk):
        raise TaskNotYours(_("只有负责坐席或主管可以安排上门"), field="task")
    if not people:
        raise DomainError(_("请填写拜访人员"), field="people")
    if len(people) > 200:
        raise DomainError(_("拜访人员最多 200 字"), field="people")
    if not agenda:
        raise DomainError(_("请填写拜访议程"), field="agenda")
    if len(agenda) > NOTES_MAX:
        raise DomainError(_("拜访议程最多 %(max)s 字") % {"max": NOTES_MAX}, field="agenda")
    plan, _made = VisitPlan.objects.update_or_create(
        task=task, defaults={"people": people, "agenda": agenda, "updated_by": user}
    )
    messages_cancel(source_type="callback_task", source_id=task.pk, purpose="appointment")
    plan.notice_at = max(notice_moment(task), clock.now())
    message_schedule(
        customer=task.customer,
        purpose="appointment",
        body=_notice_body(task, visit=plan),
        not_before=plan.notice_at,
        source_type="callback_task",
        source_id=task.pk,
    )
    plan.save(update_fields=["notice_at"])
    audit_record(
        actor=user,
        action="visit_plan.save",
        target=task,
        customer_id=task.customer_id,
        detail={"people": people},
    )
    return plan


def appointment_notices(*, as_of: date) -> int:
    """Non-urgent calls due on `as_of` + 1 get a notice the day before (10:00); visits due
    within 3 working days get theirs if their plan did not send one. One query for the
    candidates, one bulk write; safe to run twice (a task with a notice is skipped)."""
    from careloop.messaging.models import ScheduledMessage

    noticed = ScheduledMessage.objects.filter(
        source_type="callback_task", purpose="appointment"
    ).values("source_id")
    visit_until = add_working_days(as_of, 3)
    calls = Q(
        method=Method.PHONE,
        priority__in=[Priority.MEDIUM, Priority.LOW],
        due_at__gte=clock.day_end(as_of),
        due_at__lt=clock.day_end(as_of + timedelta(days=1)),
    )
    visits = Q(
        method=Method.VISIT, due_at__gte=clock.day_end(as_of), due_at__lt=clock.day_end(visit_until)
    )
    tasks = list(
        CallbackTask.objects.open()
        .filter(calls | visits)
        .exclude(pk__in=noticed)
        .select_related("customer", "visit_plan")
    )
    now = clock.now()
    drafts = [
        MessageDraft(
            customer_id=t.customer_id,
            purpose="appointment",
            body=_notice_body(t, visit=getattr(t, "visit_plan", None)),
            not_before=max(notice_moment(t), now),
            source_type="callback_task",
            source_id=t.pk,
        )
        for t in tasks
    ]
    if drafts:
        messages_schedule_bulk(drafts)
    return len(drafts)


# --- call scripts -------------------------------------------------------------------------------


@transaction.atomic
def call_scripts_ensure_defaults() -> int:
    """The default script of every purpose that has none (idempotent)."""
    from careloop.callbacks.defaults import ensure_default_scripts

    return ensure_default_scripts(CallScript, CallScriptVersion)


SCRIPT_REQUIRED = {"opening": _("开场白"), "questions": _("核心问题"), "closing": _("结束语")}
SCRIPT_MAX = 2000


def _clean_script(fields: dict[str, Any]) -> dict[str, str]:
    cleaned = {}
    for name in CallScript.SNAPSHOT_FIELDS:
        value = (fields.get(name) or "").strip()
        if name in SCRIPT_REQUIRED and not value:
            raise DomainError(_("请填写%(field)s") % {"field": SCRIPT_REQUIRED[name]}, field=name)
        if len(value) > SCRIPT_MAX:
            raise DomainError(_("每项最多 %(max)s 字") % {"max": SCRIPT_MAX}, field=name)
        cleaned[name] = value
    return cleaned


@transaction.atomic
def call_script_save(
    *,
    user: User,
    script: CallScript | None = None,
    purpose: str = "",
    value_class: str = "",
    **fields: Any,
) -> CallScript:
    """Create a script (purpose × value class) or save a new version of one; audited."""
    _require_supervisor(user)
    cleaned = _clean_script(fields)
    if script is None:
        from careloop.care.purposes import purpose_choices

        if purpose not in dict(purpose_choices()):
            raise DomainError(_("请选择关怀目的"), field="purpose")
        if value_class and value_class not in Customer.ValueClass.values:
            raise DomainError(_("未知的价值类别"), field="value_class")
        if CallScript.objects.filter(purpose=purpose, value_class=value_class).exists():
            raise DomainError(_("该目的和价值类别已有话术,请直接编辑"), field="value_class")
        script = CallScript(purpose=purpose, value_class=value_class, version=1, **cleaned)
    else:
        script = CallScript.objects.select_for_update().get(pk=script.pk)
        if script.snapshot() == cleaned:
            return script
        for name, value in cleaned.items():
            setattr(script, name, value)
        script.version += 1
    script.updated_by = user
    script.save()
    CallScriptVersion.objects.create(
        script=script, version=script.version, snapshot=cleaned, changed_by=user
    )
    audit_record(
        actor=user,
        action="call_script.save",
        target=script,
        detail={"purpose": script.purpose, "version": script.version},
    )
    return script


# --- quality reviews (质检) ---------------------------------------------------------------------


@transaction.atomic
def quality_review_save(
    *, record: CallbackRecord, reviewer: User, score: int | None, comment: str = ""
) -> QualityReview:
    _require_supervisor(reviewer)
    if reviewer.is_supervisor and (
        record.agent is None or record.agent.team_id != reviewer.team_id
    ):
        raise PermissionDenied(_("只能质检本团队坐席的回访记录"))
    if score is None or not 0 <= score <= 100:
        raise DomainError(_("质检评分须为 0–100 的整数"), field="score")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise DomainError(_("质检意见最多 500 字"), field="comment")
    review, _made = QualityReview.objects.update_or_create(
        record=record, defaults={"reviewer": reviewer, "score": score, "comment": comment}
    )
    audit_record(
        actor=reviewer,
        action="quality_review.save",
        target=record,
        customer_id=record.customer_id,
        detail={"score": score},
    )
    return review
