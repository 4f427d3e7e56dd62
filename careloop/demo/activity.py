"""Months of call-center work on top of the generated customers, through the real services.

`demo_activity(as_of=D, seed=…)` segments the customers as of D, makes sure the default care
rules exist, saves two segments, then replays the last `HISTORY_DAYS` days: each morning the
plan of that day (`plan_day`), the day's messages sent, and on working days each agent claims
and records a bounded number of calls (`callback_task_claim_next`, `callback_task_complete`)
with feedback that becomes tickets, leads and suggestions; departments resolve tickets, the
supervisor reviews calls and suggestions. Complaints are taken in and moved through their
stages by the complaint services, the SLA watch runs, a few customers opt out, and finally
D's own plan gives every agent a queue for today.

The services read the time from `django.utils.timezone.now`; `travel(moment)` sets it for the
duration of one step so that what a service writes (record times, ticket deadlines, SLA
clocks, audit entries) lies on the replayed day. Only the demo command uses it.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from careloop.accounts.models import User
from careloop.callbacks.models import (
    CallbackRecord,
    FeedbackItem,
    FollowUpTicket,
    Outcome,
    SalesLead,
    Satisfaction,
    Suggestion,
)
from careloop.callbacks.services import (
    CHANNEL_OF_METHOD,
    appointment_notices,
    callback_task_claim_next,
    callback_task_complete,
    followup_ticket_resolve,
    quality_review_save,
    sales_lead_update,
    suggestion_review,
    visit_plan_save,
)
from careloop.care.models import AgentProfile, CallbackTask, PlanRun
from careloop.care.planner import plan_day
from careloop.care.services import callback_tasks_flag_overdue, care_rules_ensure_defaults
from careloop.complaints import services as complaints
from careloop.complaints.models import Complaint, Department
from careloop.core import clock
from careloop.customers.models import Customer, Interaction, Order
from careloop.demo import data
from careloop.emotion.services import interactions_set_emotion
from careloop.messaging.models import MessageOptOut, ScheduledMessage
from careloop.messaging.services import (
    MessageDraft,
    message_inbound_record,
    message_opt_out_record,
    messages_dispatch,
    messages_schedule_bulk,
)
from careloop.segments.models import SavedSegment
from careloop.segments.services import (
    saved_segment_create,
    segment_run_execute,
    segment_run_start,
)
from careloop.workcal.services import is_working_day

log = logging.getLogger(__name__)

HISTORY_DAYS = 14  # days of plans and calls replayed before D
GO_LIVE_DAYS = 21  # the first plan (the backlog), this many days before D
CALLS_PER_AGENT_DAY = (14, 20)  # calls an agent records on a working day (bounded: see README)
AGENT_CAPACITY = 60
OUTCOMES = [
    (Outcome.REACHED, 0.68),
    (Outcome.UNREACHED, 0.2),
    (Outcome.REFUSED, 0.05),
    (Outcome.WRONG_NUMBER, 0.02),
    (Outcome.CALL_LATER, 0.05),
]
SATISFACTION = [  # (satisfaction, CSAT weights 1–5)
    (Satisfaction.SATISFIED, 0.7, [0, 0, 1, 8, 12]),
    (Satisfaction.NEUTRAL, 0.22, [0, 2, 10, 3, 0]),
    (Satisfaction.DISSATISFIED, 0.08, [6, 5, 1, 0, 0]),
]


@dataclass
class ActivitySummary:
    """What the replayed work left behind (the command's summary line)."""

    plan_days: int = 0
    records: int = 0
    tickets: int = 0
    leads: int = 0
    suggestions: int = 0
    reviews: int = 0
    tasks_today: int = 0
    tasks_open: int = 0
    complaints_by_stage: dict[str, int] = field(default_factory=dict)
    messages_sent: int = 0
    messages_scheduled: int = 0
    opt_outs: int = 0
    saved_segments: int = 0


@contextmanager
def travel(moment: datetime) -> Iterator[None]:
    """Make `timezone.now()` (and so `clock.now()`, `auto_now`) return `moment` for a while."""
    original = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = original


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def daytime(moment: datetime, *, not_after: datetime) -> datetime:
    """The moment moved into office hours (09:00–18:00 local, the next morning after 18:00),
    unless that is later than `not_after`: people answer complaints by day."""
    local = clock.local(moment)
    if 9 <= local.hour < 18:
        return moment
    day = local.date() + timedelta(days=1 if local.hour >= 18 else 0)
    moved = at(day, 9, local.minute)
    return moved if moved <= not_after else moment


# --- people ------------------------------------------------------------------------------------

# Department: (head, members) by demo username.
DEPARTMENTS = {
    "技术部": ("supervisor", ["agent1"]),
    "售后部": ("supervisor", ["agent2", "agent3"]),
    "物流": ("admin", ["agent2"]),
    "质检部": ("supervisor", []),
}


def demo_departments_ensure(users: dict[str, User]) -> dict[str, Department]:
    """The four departments (created by the complaints migration) with demo heads and members;
    a department that already has a head keeps it."""
    departments = {}
    for name, (head, members) in DEPARTMENTS.items():
        department, _created = Department.objects.get_or_create(name=name)
        if department.head_id is None and head in users:
            department.head = users[head]
            department.save(update_fields=["head"])
        department.members.add(*[users[m] for m in members if m in users])
        departments[name] = department
    return departments


def demo_agent_profiles_ensure(agents: list[User]) -> None:
    for agent in agents:
        AgentProfile.objects.get_or_create(
            user=agent, defaults={"capacity": AGENT_CAPACITY, "skills": ["电话回访", "上门拜访"]}
        )


SEGMENT_EAST_CORE, SEGMENT_MAKERS = "华东 A 类 沉睡客户", "制造业 流失预警"
DEMO_SEGMENT_NAMES = (SEGMENT_EAST_CORE, SEGMENT_MAKERS)


def demo_segments_save(users: dict[str, User]) -> int:
    """Two saved segments a supervisor would keep: the team's sleeping core customers and the
    company's manufacturing businesses about to leave."""
    made = 0
    wanted = [
        (
            users["supervisor"],
            SEGMENT_EAST_CORE,
            {"lifecycle": "dormant", "tier": "A"},
            "华东一组价值最高、60 天以上未下单的客户,每月电话唤醒。",
        ),
        (
            users["admin"],
            SEGMENT_MAKERS,
            {"industry": "制造业", "lifecycle": "churn_warning"},
            "制造业客户中消费明显下滑的,安排流失挽回。",
        ),
    ]
    for actor, name, filters, description in wanted:
        if not SavedSegment.objects.filter(name=name).exists():
            saved_segment_create(actor=actor, name=name, filters=filters, description=description)
            made += 1
    return made


# --- the replay --------------------------------------------------------------------------------


class _Replay:
    def __init__(self, *, as_of: date, seed: int, users: dict[str, User]):
        self.rng = random.Random(seed * 7919 + 1)
        self.as_of = as_of
        self.users = users
        self.agents = [u for u in users.values() if u.role == User.Role.AGENT]
        self.supervisor = users["supervisor"]
        self.admin = users["admin"]
        self.departments = demo_departments_ensure(users)
        self.summary = ActivitySummary()
        self.called: dict[int, str] = {}
        self.firsts: dict[date, set[str]] = {}  # feedback kinds already heard on a replayed day

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def run(self) -> ActivitySummary:
        demo_agent_profiles_ensure(self.agents)
        # The nightly segmentation run of D (recorded, so the segments page shows it).
        with travel(self.now()):
            run = segment_run_start(as_of=self.as_of)
            segment_run_execute(run_id=run.pk)
        care_rules_ensure_defaults()
        self.summary.saved_segments = demo_segments_save(self.users)
        self.go_live()
        for back in range(HISTORY_DAYS, 0, -1):
            self.day(self.as_of - timedelta(days=back))
        self.complaints()
        self.opt_outs()
        self.announcement()
        # D itself: the night's jobs as the worker would have run them, at the real time when
        # D is today (a message is not sent in the future).
        self.night(self.as_of, self.now())
        with travel(self.now()):
            messages_dispatch(now=self.now())
        self.visit_plans()
        self.count()
        return self.summary

    def now(self) -> datetime:
        """The demo's present: now when D is today, else 09:30 on D."""
        return clock.now() if self.as_of == clock.today() else at(self.as_of, 9, 30)

    # -- the go-live backlog --

    def go_live(self) -> None:
        """The first plan, `GO_LIVE_DAYS` before D, finds every customer due for retention,
        wake-up or rescue at once. Working that backlog call by call through the services
        would take minutes, so its calls are written in bulk as they would have been recorded
        over the following two weeks (like imported history: a record, a timeline contact and
        the task closed), leaving a few tasks still open and late."""
        day = self.as_of - timedelta(days=GO_LIVE_DAYS)
        # Two days: the second plans what precedence held back on the first (one proactive
        # task a day), mostly retention.
        for first in (day, day + timedelta(days=1)):
            with travel(at(first, 6, 30)):
                plan_day(as_of=first, trigger=PlanRun.Trigger.NIGHTLY, collect=False)
            with travel(at(first, 20, 0)):
                messages_dispatch(now=at(first, 20, 0))
            self.summary.plan_days += 1
        workdays = [
            d
            for d in (day + timedelta(days=n) for n in range(GO_LIVE_DAYS - HISTORY_DAYS + 7))
            if is_working_day(d)
        ] or [day]
        tasks = (
            CallbackTask.objects.open()
            .filter(plan_date__in=(day, day + timedelta(days=1)))
            .select_related("customer")
            .order_by("id")
        )
        records, interactions, closed = [], [], []
        for task in tasks:
            if self.chance(0.03):
                continue  # still open: late, at the top of someone's queue
            agent = self.agent_of(task)
            moment = at(self.rng.choice(workdays), self.rng.randint(9, 17), self.rng.randrange(60))
            record = self.bulk_record(task, agent, moment)
            if record.interaction is not None:
                interactions.append(record.interaction)
            records.append(record)
            task.assignee = agent
            task.closed_at = moment
            task.attempts = record.attempt
            task.status = (
                CallbackTask.Status.UNREACHED
                if record.outcome == Outcome.UNREACHED
                else CallbackTask.Status.DONE
            )
            closed.append(task)
        interactions_set_emotion(interactions)
        Interaction.objects.bulk_create(interactions, batch_size=1000)
        for record in records:
            record.interaction_id = record.interaction.pk if record.interaction else None
        CallbackRecord.objects.bulk_create(records, batch_size=1000)
        for record in records:  # auto_now_add stamped them now: back to the call's time
            record.created_at = record.moment
        CallbackRecord.objects.bulk_update(records, ["created_at"], batch_size=1000)
        CallbackTask.objects.bulk_update(
            closed, ["assignee", "closed_at", "attempts", "status"], batch_size=1000
        )

    def agent_of(self, task: CallbackTask) -> User:
        if task.assignee_id:
            return next((a for a in self.agents if a.pk == task.assignee_id), self.supervisor)
        return self.agent_for(task.customer)

    def bulk_record(self, task: CallbackTask, agent: User, moment: datetime) -> CallbackRecord:
        rng = self.rng
        customer = task.customer
        outcome = rng.choices(
            [Outcome.REACHED, Outcome.REFUSED, Outcome.UNREACHED], [0.8, 0.05, 0.15]
        )[0]
        fields: dict[str, Any] = {"attempt": 1}
        interaction = None
        if outcome == Outcome.UNREACHED:
            fields |= {"attempt": 3, "notes": rng.choice(data.CALLBACK_UNREACHED[:3])}
        else:
            if outcome == Outcome.REFUSED:
                notes = rng.choice(data.CALLBACK_REFUSED)
            else:
                satisfaction, csat = self.satisfaction()
                notes = rng.choice(data.CALLBACK_REACHED[:2] + data.CALLBACK_REACHED[4:5]).format(
                    salutation=customer.salutation, product=self.product(customer), issue=""
                )
                fields |= {
                    "satisfaction": satisfaction,
                    "csat": csat,
                    "duration_seconds": rng.randint(60, 540),
                }
            fields["notes"] = notes
            interaction = Interaction(
                customer=customer,
                occurred_at=moment,
                kind=Interaction.Kind.CALLBACK,
                channel=CHANNEL_OF_METHOD.get(task.method, ""),
                text=notes,
                csat=fields.get("csat"),
                author=agent,
            )
        record = CallbackRecord(
            task=task,
            customer=customer,
            agent=agent,
            outcome=outcome,
            method=task.method,
            interaction=interaction,
            **fields,
        )
        record.moment = moment
        return record

    def product(self, customer: Customer) -> str:
        """The customer's latest product (one query for everyone, the first time)."""
        if not hasattr(self, "_products"):
            rows = Order.objects.order_by("customer_id", "ordered_at", "id")
            self._products = dict(rows.values_list("customer_id", "product"))
        return self._products.get(customer.pk, "净水器")

    def satisfaction(self) -> tuple[str, int]:
        pick = self.rng.random()
        for (satisfaction, _w, csat_weights), upto in zip(
            SATISFACTION, _cumulative(SATISFACTION), strict=True
        ):
            if pick < upto:
                return satisfaction, self.rng.choices(range(1, 6), csat_weights)[0]
        raise AssertionError("unreachable")

    def day(self, day: date) -> None:
        self.night(day, at(day, 6, 30))
        if is_working_day(day):
            for agent in self.agents:
                self.agent_day(agent, day)
            self.departments_work(day)
            self.supervisor_work(day)
        with travel(at(day, 20, 0)):
            messages_dispatch(now=at(day, 20, 0))

    def night(self, day: date, moment: datetime) -> None:
        """The worker's jobs before the day starts: the plan, appointment notices for
        tomorrow's calls and soon visits, late tasks flagged and escalated."""
        with travel(moment):
            plan_day(as_of=day, trigger=PlanRun.Trigger.NIGHTLY, collect=False)
            appointment_notices(as_of=day)
            callback_tasks_flag_overdue(now=moment)
        self.summary.plan_days += 1

    def visit_plans(self) -> None:
        """Each agent has planned the first of their coming visits (who goes, the agenda)."""
        for agent in self.agents:
            task = (
                CallbackTask.objects.open()
                .filter(assignee=agent, method="visit")
                .order_by("due_at", "id")
                .first()
            )
            if task is None:
                continue
            with travel(self.now()):
                visit_plan_save(
                    task=task,
                    user=agent,
                    people=f"{agent.display_name}、售后工程师",
                    agenda="了解近期使用情况和采购计划;检查设备运行;介绍年度维保方案。",
                )

    def agent_day(self, agent: User, day: date) -> None:
        self.called = {}  # customer → outcome of the agent's first call today
        moment = at(day, 9, self.rng.randrange(20))
        for _call in range(self.rng.randint(*CALLS_PER_AGENT_DAY)):
            moment += timedelta(minutes=self.rng.randint(14, 32))
            if moment.hour == 12:
                moment += timedelta(hours=1)
            if moment.hour >= 18:
                break
            with travel(moment):
                task = callback_task_claim_next(agent=agent)
                if task is None:
                    return
                callback_task_complete(task=task, agent=agent, **self.call(task, day))

    def call(self, task: CallbackTask, day: date) -> dict[str, Any]:
        rng = self.rng
        outcome = rng.choices([o for o, _w in OUTCOMES], [w for _o, w in OUTCOMES])[0]
        customer = task.customer
        # A second task for a customer already called today: the same answer as before.
        outcome = self.called.setdefault(customer.pk, outcome)
        product = self.product(customer)
        if outcome == Outcome.UNREACHED:
            return {"outcome": outcome, "notes": rng.choice(data.CALLBACK_UNREACHED[:3])}
        if outcome == Outcome.WRONG_NUMBER:
            return {"outcome": outcome, "notes": "号码为空号,需核实联系方式。"}
        if outcome == Outcome.REFUSED:
            return {"outcome": outcome, "notes": rng.choice(data.CALLBACK_REFUSED)}
        if outcome == Outcome.CALL_LATER:
            later = at(day + timedelta(days=rng.randint(1, 3)), rng.choice([10, 14, 16]))
            return {"outcome": outcome, "call_back_at": later, "notes": "客户在忙,约好改天再打。"}
        satisfaction, csat = self.satisfaction()
        notes = rng.choice(data.CALLBACK_REACHED).format(
            salutation=customer.salutation, product=product, issue=rng.choice(data.CALLBACK_ISSUES)
        )
        items = []
        if self.chance(0.3 if satisfaction != Satisfaction.SATISFIED else 0.12):
            text, department, urgent = rng.choice(data.DEMO_ISSUES)
            items.append(
                {
                    "kind": FeedbackItem.Kind.ISSUE,
                    "text": text.format(product=product),
                    "department_id": self.departments[department].pk,
                    "urgency": FeedbackItem.Urgency.URGENT
                    if urgent and self.chance(0.5)
                    else FeedbackItem.Urgency.NORMAL,
                }
            )
        # Each replayed day has at least one need and one suggestion, so the boards show work
        # whatever the dice say on a small demo.
        firsts = self.firsts.setdefault(day, set())
        if self.chance(0.08) or FeedbackItem.Kind.NEED not in firsts:
            firsts.add(FeedbackItem.Kind.NEED)
            items.append(
                {
                    "kind": FeedbackItem.Kind.NEED,
                    "text": rng.choice(data.DEMO_NEEDS).format(product=product),
                }
            )
        if self.chance(0.1) or FeedbackItem.Kind.SUGGESTION not in firsts:
            firsts.add(FeedbackItem.Kind.SUGGESTION)
            items.append(
                {
                    "kind": FeedbackItem.Kind.SUGGESTION,
                    "text": rng.choice(data.SUGGESTIONS).format(category=product),
                }
            )
        return {
            "outcome": outcome,
            "satisfaction": satisfaction,
            "csat": csat,
            "duration_seconds": rng.randint(60, 600),
            "notes": notes,
            "items": items,
            "next_contact_on": day + timedelta(days=60) if self.chance(0.05) else None,
        }

    def departments_work(self, day: date) -> None:
        """Departments resolve most tickets within a few days (the agent then gets the
        resolution check)."""
        start = clock.day_start(day)
        waiting = FollowUpTicket.objects.filter(
            status=FollowUpTicket.Status.OPEN, created_at__lt=start
        ).select_related("department", "item")
        for n, ticket in enumerate(waiting.order_by("id")):
            if not self.chance(0.4):
                continue
            resolver = ticket.department.head or self.admin
            with travel(at(day, 15, n % 60)):
                followup_ticket_resolve(
                    ticket=ticket, user=resolver, resolution=self.rng.choice(data.DEMO_RESOLUTIONS)
                )

    def supervisor_work(self, day: date) -> None:
        """The supervisor reviews a few of the day's calls of their team, moves some leads and
        reviews suggestions now and then."""
        records = CallbackRecord.objects.filter(
            agent__team_id=self.supervisor.team_id,
            created_at__gte=clock.day_start(day),
            created_at__lt=clock.day_end(day),
            outcome=Outcome.REACHED,
        ).order_by("id")
        with travel(at(day, 17, 30)):
            for record in records[:: max(1, len(records) // 3 or 1)][:3]:
                score = self.rng.choice([72, 80, 85, 88, 90, 95])
                quality_review_save(
                    record=record,
                    reviewer=self.supervisor,
                    score=score,
                    comment=self.rng.choice(data.DEMO_REVIEW_COMMENTS),
                )
            older = SalesLead.objects.filter(
                status=SalesLead.Status.NEW, created_at__lt=clock.day_start(day - timedelta(days=2))
            )
            for n, lead in enumerate(older.order_by("id")):
                if n == 0:  # the oldest new lead is always taken up: the board shows progress
                    sales_lead_update(lead=lead, user=self.admin, status="following")
                elif self.chance(0.35):
                    status = self.rng.choices(["following", "won", "lost"], [0.75, 0.18, 0.07])[0]
                    sales_lead_update(lead=lead, user=self.admin, status=status)
            if day.weekday() == 4:  # Friday: the week's suggestions
                for suggestion in Suggestion.objects.filter(status=Suggestion.Status.NEW)[:3]:
                    status = self.rng.choice(["accepted", "accepted", "declined"])
                    note = "" if status == "accepted" else "成本过高,暂不考虑。"
                    suggestion_review(
                        suggestion=suggestion, user=self.admin, status=status, note=note
                    )

    # -- complaints --

    def complaints(self) -> None:
        """Complaints taken in over the last days, one or more at each stage of the workflow,
        moved on by the complaint services at plausible times; then the SLA watch."""
        now = self.now()
        # Round the teams, so that every team (and its agent) has complaints to work on.
        pools = []
        for team_id in sorted({a.team_id for a in self.agents if a.team_id}):
            people = list(
                Customer.objects.filter(
                    external_id__regex=r"^KH[0-9]{7}$", do_not_contact=False, team_id=team_id
                )
                .exclude(complaints__status=Complaint.Status.OPEN)
                .order_by("id")
                .values_list("id", flat=True)[:300]
            )
            self.rng.shuffle(people)
            pools.append(people)
        chosen = [
            pool.pop()
            for n in range(len(data.DEMO_COMPLAINTS))
            if (pool := pools[n % len(pools)] if pools else [])
        ]
        for customer_id, plan in zip(chosen, data.DEMO_COMPLAINTS, strict=False):
            self.complaint(Customer.objects.get(pk=customer_id), plan, now)
        with travel(now):
            complaints.complaint_sla_watch(now=now)

    def complaint(self, customer: Customer, plan: dict, now: datetime) -> None:
        user = self.agent_for(customer)
        opened = now - timedelta(hours=plan["hours_ago"])
        if plan["stage"] != "new":  # the clocks of new ones are what they show: keep exact
            opened = daytime(opened, not_after=now - timedelta(hours=4))
        with travel(opened):
            complaint = complaints.complaint_create(
                actor=user,
                customer=customer,
                channel=plan["channel"],
                severity=plan["severity"],
                category=plan["category"],
                subject=plan["subject"],
                description=plan["description"],
                opened_at=opened,
            )
        stage = plan["stage"]
        if stage == "new":
            return
        step = (now - opened) / 8  # the work spread over the time since intake

        last = [opened]

        def when(n: int) -> datetime:
            moment = daytime(opened + step * n, not_after=now)
            last[0] = max(moment, min(last[0] + timedelta(minutes=7), now))
            return last[0]

        with travel(when(1)):
            complaints.complaint_respond(
                complaint=complaint, user=user, note="已致电客户致歉并了解情况"
            )
        if stage == "waiting_customer":
            with travel(when(2)):
                complaints.complaint_pause(
                    complaint=complaint, user=user, note="等待客户提供购买凭证照片"
                )
            return
        department = self.departments[plan["department"]]
        with travel(when(2)):
            complaints.complaint_diagnose(
                complaint=complaint,
                user=user,
                nature=plan.get("nature", "fact"),
                what_happened=plan["description"],
                expected_outcome=plan["expected"],
                reported_before=plan.get("reported_before", False),
                root_cause=plan["root_cause"],
                department=department,
            )
        if stage == "diagnosing":
            return
        with travel(when(3)):
            complaints.complaint_solution_set(
                complaint=complaint,
                user=user,
                solution_type="compensation",
                solution="上门检修,并按客户选择给予补偿",
                options=[
                    {"label": "免费更换新机", "amount": "0"},
                    {"label": "退还差价 200 元", "amount": "200"},
                    {"label": "赠送一年滤芯", "amount": "399"},
                ],
            )
            complaint.refresh_from_db()
            complaints.complaint_option_choose(
                complaint=complaint, user=user, option_id=complaint.options.order_by("id")[0].pk
            )
            step_row = complaints.complaint_step_add(
                complaint=complaint,
                user=user,
                title="安排师傅上门检修",
                deadline=now + timedelta(days=2)
                if stage == "executing"
                else daytime(opened + step * 5, not_after=now) + timedelta(days=1),
                department=department,
            )
        if stage == "executing":
            return
        with travel(when(4)):
            complaints.complaint_progress_send(
                complaint=complaint, user=user, text="师傅已预约上门时间,请保持电话畅通。"
            )
        with travel(when(5)):
            complaints.complaint_step_done(step=step_row, user=user)
            complaints.complaint_resolve(complaint=complaint, user=user, note="已上门处理完毕")
        if stage == "resolved":
            return
        with travel(when(7)):
            complaints.complaint_resolution_confirm(
                complaint=complaint,
                user=user,
                satisfied=stage == "closed",
                note="客户确认问题已解决" if stage == "closed" else "客户称问题再次出现",
            )

    def agent_for(self, customer: Customer) -> User:
        if customer.owner_id:
            return customer.owner
        team_agents = [a for a in self.agents if a.team_id == customer.team_id]
        return team_agents[0] if team_agents else self.supervisor

    def opt_outs(self) -> None:
        """A customer replies T to a marketing text; an agent records one heard on the phone."""
        with_phone = list(
            Customer.objects.filter(
                external_id__regex=r"^KH[0-9]{7}$",
                do_not_contact=False,
                team_id=self.supervisor.team_id,
            )
            .exclude(phone="")
            .exclude(owner=None)
            .order_by("id")[:200]
        )
        if len(with_phone) < 2:
            return
        first, second = self.rng.sample(with_phone, 2)
        with travel(at(self.as_of - timedelta(days=2), 19, 12)):
            message_inbound_record(phone=first.phone, body="T")
        with travel(at(self.as_of - timedelta(days=1), 10, 40)):
            message_opt_out_record(
                actor=second.owner, customer=second, note="电话中表示不要再发促销短信"
            )

    def announcement(self) -> None:
        """The supervisor's trade-in offer, scheduled for tomorrow 10:00 to the team's recent
        buyers: the rules suppress it for those who opted out, asked not to be contacted or
        got a marketing text this week."""
        since = clock.day_start(self.as_of - timedelta(days=365))
        buyers = Customer.objects.filter(
            external_id__regex=r"^KH[0-9]{7}$", team_id=self.supervisor.team_id
        ).exclude(phone="")
        recent = list(buyers.filter(last_order_at__gte=since).order_by("id")[:60])
        extra = list(buyers.filter(opt_outs__isnull=False).distinct().order_by("id")) + list(
            buyers.filter(do_not_contact=True).order_by("id")[:2]
        )
        send_at = at(self.as_of + timedelta(days=1), 10, 0)
        drafts = [
            MessageDraft(
                customer_id=customer.pk,
                purpose="announcement",
                body=data.MESSAGE_TRADE_IN.format(salutation=customer.salutation),
                channel="sms",
                marketing=True,
                not_before=send_at,
            )
            for customer in {c.pk: c for c in recent + extra}.values()
        ]
        with travel(self.now()):
            messages_schedule_bulk(drafts)

    def count(self) -> None:
        s = self.summary
        s.records = CallbackRecord.objects.count()
        s.tickets = FollowUpTicket.objects.count()
        s.leads = SalesLead.objects.count()
        s.suggestions = Suggestion.objects.count()
        s.reviews = CallbackRecord.objects.filter(review__isnull=False).count()
        open_tasks = CallbackTask.objects.open()
        s.tasks_open = open_tasks.count()
        s.tasks_today = open_tasks.filter(due_at__lt=clock.day_end(self.as_of)).count()
        s.complaints_by_stage = dict(
            Complaint.objects.exclude(stage="")
            .values_list("stage")
            .annotate(n=Count("id"))
            .order_by()
        )
        statuses = ScheduledMessage.objects.values_list("status").annotate(n=Count("id"))
        by_status = Counter(dict(statuses.order_by()))
        s.messages_sent = by_status.get("sent", 0)
        s.messages_scheduled = by_status.get("scheduled", 0)
        s.opt_outs = MessageOptOut.objects.count()


def _cumulative(rows) -> list[float]:
    total, out = 0.0, []
    for row in rows:
        total += row[1]
        out.append(total)
    out[-1] = 1.0
    return out


def demo_activity(*, as_of: date, seed: int, users: list[User]) -> ActivitySummary:
    """Replay the last days of work as of D (see the module docstring)."""
    by_name = {u.username: u for u in users}
    summary = _Replay(as_of=as_of, seed=seed, users=by_name).run()
    log.info("demo.activity", extra={"records": summary.records, "tasks": summary.tasks_open})
    return summary
