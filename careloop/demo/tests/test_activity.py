"""The replayed call-center work: a queue for every agent today, complaints at every stage,
records with tickets, leads and suggestions, all consistent with what the services produce."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count

from careloop.accounts.models import User
from careloop.callbacks.models import (
    CallbackRecord,
    FeedbackItem,
    FollowUpTicket,
    QualityReview,
    SalesLead,
    Suggestion,
    VisitPlan,
)
from careloop.callbacks.selectors import callback_task_queue
from careloop.care.models import AgentProfile, CallbackTask, PlanRun
from careloop.complaints.models import Complaint, ComplaintEvent, Department
from careloop.core import clock
from careloop.customers.models import Customer, Interaction
from careloop.demo.activity import DEMO_SEGMENT_NAMES, travel
from careloop.demo.generator import demo_generate, demo_reset
from careloop.messaging.models import MessageOptOut, ScheduledMessage
from careloop.segments.models import SavedSegment, SegmentRun

AS_OF = date(2026, 3, 18)  # a Wednesday
SIZE = 300


@pytest.fixture
def demo(db):
    return demo_generate(customers=SIZE, seed=11, as_of=AS_OF)


def counts() -> dict:
    return {
        "tasks": dict(
            CallbackTask.objects.values_list("status").annotate(n=Count("id")).order_by()
        ),
        "records": dict(
            CallbackRecord.objects.values_list("outcome").annotate(n=Count("id")).order_by()
        ),
        "tickets": FollowUpTicket.objects.count(),
        "leads": SalesLead.objects.count(),
        "suggestions": Suggestion.objects.count(),
        "reviews": QualityReview.objects.count(),
        "stages": dict(
            Complaint.objects.exclude(stage="")
            .values_list("stage")
            .annotate(n=Count("id"))
            .order_by()
        ),
        "messages": dict(
            ScheduledMessage.objects.values_list("status").annotate(n=Count("id")).order_by()
        ),
    }


def test_every_agent_has_a_queue_of_tasks_for_customers_they_may_see(demo):
    end = clock.day_end(AS_OF)
    agents = User.objects.filter(role=User.Role.AGENT).order_by("username")
    assert [a.username for a in agents] == ["agent1", "agent2", "agent3"]
    for agent in agents:
        queue = callback_task_queue(agent=agent)
        assert queue.count() > 0, agent.username
        # Today's plan gave each team's agent the follow-ups of its new complaints.
        assert queue.filter(purpose="complaint_followup", plan_date=AS_OF).exists()
        assert AgentProfile.objects.get(user=agent).capacity == 60
        mine = set(
            CallbackTask.objects.filter(assignee=agent).values_list("customer_id", flat=True)
        )
        visible = Customer.objects.visible_to(agent).filter(pk__in=mine)
        assert set(visible.values_list("pk", flat=True)) == mine, agent.username
        assert not CallbackTask.objects.filter(assignee=agent).exclude(team_id=agent.team_id)
    due_today = CallbackTask.objects.open().filter(due_at__lt=end)
    assert due_today.exclude(assignee=None).count() > 0
    # Today's plan ran, as the nightly job would have.
    assert PlanRun.objects.filter(as_of=AS_OF, trigger="nightly").count() == 1


def test_history_is_fourteen_days_of_plans_and_calls_with_their_follow_ups(demo):
    days = set(PlanRun.objects.values_list("as_of", flat=True))
    assert days >= {AS_OF - timedelta(days=n) for n in range(15)}
    records = CallbackRecord.objects.all()
    assert records.filter(created_at__gte=clock.day_start(AS_OF)).count() == 0
    assert records.filter(created_at__lt=clock.day_start(AS_OF - timedelta(days=21))).count() == 0
    # Every record is by the task's agent, and a closed task was closed by its last record.
    for record in records.select_related("task")[:500]:
        assert record.agent_id == record.task.assignee_id
    done = CallbackTask.objects.filter(status="done")
    assert done.count() > 0
    # Without a record: message-only tasks (closed when the message is scheduled) and
    # resolution checks the complaint's confirmation closed.
    unrecorded = done.filter(records=None).exclude(purpose="resolution_check")
    assert set(unrecorded.values_list("method", flat=True)) <= {"sms", "wechat", "email"}
    assert not done.filter(closed_at=None).exists()
    outcomes = set(records.values_list("outcome", flat=True))
    assert outcomes >= {"reached", "unreached", "refused"}
    reached = records.filter(outcome="reached")
    assert not reached.filter(csat=None).exists()
    assert set(reached.values_list("satisfaction", flat=True)) == {
        "satisfied",
        "neutral",
        "dissatisfied",
    }
    # Calls with something said are on the customer's timeline too.
    assert Interaction.objects.filter(kind="callback", author__role="agent").count() >= (
        reached.count()
    )
    check_feedback()
    check_departments()


def check_feedback() -> None:
    kinds = dict(FeedbackItem.objects.values_list("kind").annotate(n=Count("id")).order_by())
    assert set(kinds) == {"issue", "need", "suggestion"}
    assert FollowUpTicket.objects.count() == kinds["issue"]
    assert SalesLead.objects.count() == kinds["need"]
    assert Suggestion.objects.count() == kinds["suggestion"]
    tickets = FollowUpTicket.objects.all()
    assert "resolved" in set(tickets.values_list("status", flat=True))
    # A resolved ticket booked the resolution check for the agent who raised it.
    for ticket in tickets.filter(status="resolved").select_related("resolution_task"):
        assert ticket.resolution_task.purpose == "resolution_check"
        assert ticket.resolution_task.assignee_id == ticket.agent_id
    assert QualityReview.objects.count() > 0
    leads = set(SalesLead.objects.values_list("status", flat=True))
    assert leads and leads <= {"new", "following", "won", "lost"}
    # A lead more than two days old has been taken up (the replay moves the oldest on daily).
    old = SalesLead.objects.filter(created_at__lt=clock.day_start(AS_OF - timedelta(days=3)))
    assert not old.filter(status="new").count() == old.count() > 0


def check_departments() -> None:
    heads = dict(Department.objects.values_list("name", "head__username"))
    assert heads == {
        "技术部": "supervisor",
        "售后部": "supervisor",
        "物流": "admin",
        "质检部": "supervisor",
    }
    assert set(
        Department.objects.get(name="售后部").members.values_list("username", flat=True)
    ) == {
        "agent2",
        "agent3",
    }


def test_complaints_at_every_stage_with_live_clocks(demo):
    stages = dict(
        Complaint.objects.exclude(stage="").values_list("stage").annotate(n=Count("id")).order_by()
    )
    assert stages == {
        "new": 3,
        "waiting_customer": 1,
        "diagnosing": 1,
        "executing": 2,
        "resolved": 1,
        "closed": 2,
        "reopened": 1,
    }
    breached = Complaint.objects.get(severity="A", stage="new")
    assert breached.escalation_level == 2  # 5 h: past 2 h (supervisor) and 3 h (head)
    assert breached.events.filter(kind="first_response_breach").exists()
    near = Complaint.objects.get(subject="安装后台面渗水")
    assert set(near.events.values_list("kind", flat=True)) == {"created", "first_response_warning"}
    reopened = Complaint.objects.get(stage="reopened")
    assert (reopened.reopen_count, reopened.status) == (1, "open")
    closed = Complaint.objects.filter(stage="closed")
    assert all(c.closed_at and c.first_resolved_at for c in closed)
    # The open ones are in today's plan as complaint follow-ups, the resolved one as a check.
    follow = CallbackTask.objects.filter(source_type="complaint", plan_date=AS_OF)
    assert set(follow.values_list("purpose", flat=True)) == {
        "complaint_followup",
        "resolution_check",
    }
    assert not ComplaintEvent.objects.filter(at__gt=clock.day_start(AS_OF) + timedelta(hours=10))


def test_segments_messages_opt_outs_and_the_summary(demo):
    assert Customer.objects.filter(segmented_as_of=AS_OF).count() == SIZE
    assert list(SegmentRun.objects.values_list("as_of", "status", "progress")) == [
        (AS_OF, "done", 100)
    ]
    assert set(SavedSegment.objects.values_list("name", flat=True)) == set(DEMO_SEGMENT_NAMES)
    statuses = set(ScheduledMessage.objects.values_list("status", flat=True))
    assert {"sent", "scheduled"} <= statuses
    assert set(MessageOptOut.objects.values_list("source", flat=True)) == {"reply", "agent"}
    # The supervisor's offer is held back for the customers who opted out.
    offer = ScheduledMessage.objects.filter(purpose="announcement")
    assert offer.filter(status="scheduled").count() > 10
    opted_out = MessageOptOut.objects.values("customer_id")
    assert set(
        offer.filter(customer_id__in=opted_out).values_list("status", "suppressed_reason")
    ) == {("suppressed", "opt_out")}
    assert not offer.filter(customer__do_not_contact=True).exclude(status="suppressed").exists()
    # The night jobs ran: appointment notices, late tasks flagged and escalated, visit plans.
    tomorrow = CallbackTask.objects.open().filter(
        method="phone",
        priority__in=["medium", "low"],
        due_at__gte=clock.day_end(AS_OF),
        due_at__lt=clock.day_end(AS_OF + timedelta(days=1)),
    )
    noticed = ScheduledMessage.objects.filter(purpose="appointment", source_type="callback_task")
    assert set(tomorrow.values_list("pk", flat=True)) <= set(
        noticed.values_list("source_id", flat=True)
    )
    late = CallbackTask.objects.open().filter(due_at__lt=clock.day_start(AS_OF))
    assert not late.filter(overdue_at=None).exists()
    assert (
        not late.filter(escalated_to=None).exclude(team__code="south").exclude(team__code="north")
    )
    visits = CallbackTask.objects.open().filter(method="visit").exclude(assignee=None)
    planned = set(VisitPlan.objects.values_list("task__assignee__username", flat=True))
    assert planned == set(visits.values_list("assignee__username", flat=True))
    check_summary(demo)


def check_summary(demo) -> None:
    activity = demo.activity
    assert activity.records == CallbackRecord.objects.count()
    assert activity.tickets == FollowUpTicket.objects.count()
    assert activity.leads == SalesLead.objects.count()
    assert activity.suggestions == Suggestion.objects.count()
    assert activity.reviews == QualityReview.objects.count()
    assert activity.tasks_open == CallbackTask.objects.open().count()
    assert activity.complaints_by_stage["new"] == 3
    assert activity.opt_outs == 2
    assert activity.plan_days == 17  # go-live (2 days), 14 days replayed, today


def test_reset_removes_everything_the_demo_made(demo):
    demo_reset()
    assert counts() == {
        "tasks": {},
        "records": {},
        "tickets": 0,
        "leads": 0,
        "suggestions": 0,
        "reviews": 0,
        "stages": {},
        "messages": {},
    }
    assert not PlanRun.objects.exists()
    assert not SegmentRun.objects.exists()
    assert not SavedSegment.objects.exists()
    assert not MessageOptOut.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_same_seed_gives_the_same_work():
    """Hold-out groups hash customer ids, so both runs start from empty tables (flush resets
    the id sequences)."""
    call_command("flush", "--no-input", verbosity=0)
    demo_generate(customers=60, seed=4, as_of=AS_OF)
    first = counts()
    call_command("flush", "--no-input", verbosity=0)
    demo_generate(customers=60, seed=4, as_of=AS_OF)
    assert counts() == first
    assert first["records"]["reached"] > 10


def test_travel_sets_the_clock_and_puts_it_back():
    real = clock.now()
    moment = clock.day_start(AS_OF)
    with travel(moment):
        assert clock.now() == moment
        assert clock.today() == AS_OF
    assert clock.now() >= real
