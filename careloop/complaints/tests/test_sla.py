"""SLA clocks: business hours across nights, weekends, the 2026 Spring Festival and a 调休
Saturday; pause; warnings and escalations with a frozen clock; catch-up after downtime."""

from decimal import Decimal

import pytest

from careloop.complaints import services, sla
from careloop.complaints.models import Complaint, ComplaintEvent, SlaPolicy

from .factories import at, department, frozen, make_customer, make_ticket


@pytest.fixture
def business_a(db):
    """Severity A, category 停产: 2 h to respond, 18 h to resolve, in business hours."""
    return SlaPolicy.objects.create(
        severity="A",
        category="停产",
        first_response_hours=Decimal("2"),
        resolution_hours=Decimal("18"),
        business_hours=True,
    )


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-11-25 10:00", 2, "2026-11-25 12:00"),  # same day
        ("2026-11-25 20:00", 2, "2026-11-26 11:00"),  # night: starts at 09:00 next day
        ("2026-11-25 17:30", 2, "2026-11-26 10:30"),  # half an hour today, 1.5 h tomorrow
        ("2026-11-27 17:00", 2, "2026-11-30 10:00"),  # Friday → Monday
        ("2026-11-28 11:00", 2, "2026-11-30 11:00"),  # Saturday counts from Monday 09:00
        ("2026-02-13 17:00", 2, "2026-02-14 10:00"),  # 调休 Saturday 02-14 is a working day
        ("2026-02-14 17:00", 2, "2026-02-24 10:00"),  # over the whole Spring Festival
        ("2026-02-13 10:00", 24, "2026-02-24 16:00"),  # 8 h Fri + 9 h 调休 Sat + 7 h
        ("2026-02-27 17:00", 2, "2026-02-28 10:00"),  # 调休 Saturday 02-28
    ],
)
def test_business_hour_deadlines(db, start, hours, due):
    assert sla.add(at(start), hours, business=True) == at(due)


def test_calendar_hours_run_through_the_night(db):
    assert sla.add(at("2026-11-27 17:00"), 2, business=False) == at("2026-11-27 19:00")
    assert sla.between(at("2026-02-14 17:00"), at("2026-02-24 10:00"), business=True) == 2.0


def test_category_policy_in_business_hours(db, business_a, outbox):
    with frozen("2026-02-13 17:00"):
        complaint = make_ticket(severity="A", category="停产")
        general = make_ticket(severity="A", category="其他")
    assert complaint.business_hours is True
    assert complaint.first_response_due == at("2026-02-14 10:00")
    assert complaint.resolution_due == at("2026-02-24 17:00")  # 1 + 9 + 8 h
    assert general.first_response_due == at("2026-02-13 19:00")


def test_tier_policy_beats_the_severity_default(db, outbox):
    SlaPolicy.objects.create(severity="B", tier="A", first_response_hours=4, resolution_hours=24)
    vip = make_customer("钱总")
    vip.tier = "A"
    vip.save()
    with frozen("2026-11-25 10:00"):
        complaint = make_ticket(customer=vip, severity="B")
    assert complaint.first_response_due == at("2026-11-25 14:00")


def test_pause_excludes_waiting_time_from_the_clock(db, business_a, outbox, agent_li):
    with frozen("2026-11-27 16:00") as t:  # Friday
        complaint = make_ticket(severity="A", category="停产")
        services.complaint_respond(complaint=complaint, user=agent_li)
        t.set("2026-11-27 17:00")
        services.complaint_pause(complaint=complaint, user=agent_li, note="等客户拍照")
        complaint.refresh_from_db()
        assert complaint.stage == "waiting_customer"
        t.set("2026-11-30 10:30")  # Monday: 1 h Friday + 1.5 h Monday paused
        complaint = services.complaint_resume(complaint=complaint, user=agent_li)
    assert complaint.paused_hours == Decimal("2.50")
    assert complaint.stage == "responded"
    # 18 business hours from Fri 16:00 was Tue 16:00; 2.5 h later is Wed 09:30
    assert complaint.resolution_due == at("2026-12-02 09:30")
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds == ["created", "responded", "paused", "resumed"]


def test_escalation_timing_with_a_frozen_clock(db, outbox, agent_li, supervisor_zhao):
    head = agent_li.__class__.objects.create(username="qa_head", role="agent")
    customer = make_customer(team=supervisor_zhao.team)
    with frozen("2026-11-25 10:00") as t:
        complaint = make_ticket(customer=customer, severity="A", actor=agent_li)
        complaint.department = department("质检部", head=head)
        complaint.save()
        t.set("2026-11-25 11:35")
        assert services.complaint_sla_watch()["first_response_warning"] == 0
        t.set("2026-11-25 11:36")  # 80 % of 2 h
        assert services.complaint_sla_watch()["first_response_warning"] == 1
        assert services.complaint_sla_watch()["first_response_warning"] == 0  # once
        t.set("2026-11-25 12:00")
        counts = services.complaint_sla_watch()
        assert counts["first_response_breach"] == 1
        complaint.refresh_from_db()
        assert complaint.escalation_level == 1
        t.set("2026-11-25 13:00")  # 150 %: the department head
        assert services.complaint_sla_watch()["first_response_head"] == 1
    events = {e.kind: e for e in complaint.events.exclude(kind="created")}
    assert events["first_response_warning"].notify == agent_li
    assert events["first_response_breach"].notify == supervisor_zhao
    assert events["first_response_head"].notify == head
    assert events["first_response_breach"].due_at == at("2026-11-25 12:00")
    complaint.refresh_from_db()
    assert complaint.escalation_level == 2


def test_responding_stops_the_first_response_clock(db, outbox, agent_li):
    with frozen("2026-11-25 10:00") as t:
        complaint = make_ticket(severity="A")
        t.set("2026-11-25 11:00")
        services.complaint_respond(complaint=complaint, user=agent_li)
        t.set("2026-11-25 15:00")
        counts = services.complaint_sla_watch()
    assert counts["first_response_breach"] == 0
    assert counts["first_response_warning"] == 0


def test_paused_complaint_is_not_breached(db, outbox, agent_li):
    with frozen("2026-11-25 10:00") as t:
        complaint = make_ticket(severity="A")
        services.complaint_pause(complaint=complaint, user=agent_li)
        t.set("2026-11-26 10:00")
        counts = services.complaint_sla_watch()
    assert sum(counts.values()) == 0


def test_catch_up_after_an_hour_of_worker_downtime(db, outbox, supervisor_zhao):
    customer = make_customer(team=supervisor_zhao.team)
    with frozen("2026-11-25 09:00") as t:
        a = make_ticket(customer=customer, severity="A")  # warn 10:36, due 11:00, head 12:00
        t.set("2026-11-25 09:30")
        b = make_ticket(customer=customer, severity="A")  # warn 11:06, due 11:30
        t.set("2026-11-25 10:30")
        assert sum(services.complaint_sla_watch().values()) == 0
        t.set("2026-11-25 11:45")  # the worker was down from 10:31 to 11:44
        counts = services.complaint_sla_watch()
    assert counts["first_response_warning"] == 2
    assert counts["first_response_breach"] == 2
    assert counts["first_response_head"] == 0
    due = dict(
        ComplaintEvent.objects.filter(kind="first_response_breach").values_list(
            "complaint_id", "due_at"
        )
    )
    assert due == {a.pk: at("2026-11-25 11:00"), b.pk: at("2026-11-25 11:30")}
    assert set(Complaint.objects.filter(escalation_level=1).values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
    }


def test_watch_is_idempotent_across_runs_and_reopen_starts_a_new_cycle(db, outbox, agent_li):
    from .factories import run_to_resolved

    with frozen("2026-11-25 09:00") as t:
        complaint = make_ticket(severity="A")
        t.set("2026-11-25 12:00")
        services.complaint_sla_watch()
        services.complaint_sla_watch()
        run_to_resolved(complaint, agent_li)
        services.complaint_resolution_confirm(complaint=complaint, user=agent_li, satisfied=False)
        t.set("2026-11-25 15:00")
        services.complaint_sla_watch()
    breaches = ComplaintEvent.objects.filter(kind="first_response_breach")
    assert list(breaches.values_list("cycle", flat=True).order_by("cycle")) == [0, 1]
    complaint.refresh_from_db()
    assert complaint.first_response_due == at("2026-11-25 14:00")


def test_the_minute_job_runs_the_watch(db, outbox):
    from careloop.complaints.tasks import complaint_sla_watch_job

    with frozen("2026-11-25 09:00") as t:
        complaint = make_ticket(severity="A")
        t.set("2026-11-25 11:01")
        complaint_sla_watch_job()
    kinds = set(complaint.events.values_list("kind", flat=True))
    assert {"first_response_warning", "first_response_breach"} <= kinds


def test_overdue_step_reminds_its_owner_once(db, outbox, agent_li):
    head = agent_li.__class__.objects.create(username="logistics_head", role="agent")
    logistics = department("物流", head=head)
    with frozen("2026-11-25 09:00") as t:
        complaint = make_ticket(severity="C")
        services.complaint_solution_set(
            complaint=complaint, user=agent_li, solution_type="process", solution="补发"
        )
        mine = services.complaint_step_add(
            complaint=complaint,
            user=agent_li,
            title="致电确认地址",
            owner=agent_li,
            deadline=at("2026-11-25 12:00"),
        )
        services.complaint_step_add(
            complaint=complaint,
            user=agent_li,
            title="补发快递",
            department=logistics,
            deadline=at("2026-11-25 18:00"),
        )
        t.set("2026-11-25 12:01")
        assert services.complaint_sla_watch()["step_overdue"] == 1
        assert services.complaint_sla_watch()["step_overdue"] == 0
        t.set("2026-11-26 09:00")
        assert services.complaint_sla_watch()["step_overdue"] == 1
    reminders = complaint.events.filter(kind="step_overdue").order_by("due_at")
    assert [(e.note, e.notify) for e in reminders] == [
        ("致电确认地址", agent_li),
        ("补发快递", head),
    ]
    mine.refresh_from_db()
    assert mine.overdue_at == at("2026-11-25 12:01")
