"""The agent workspace's writes: claim, record, unreached attempts, closing the loop."""

from datetime import date, timedelta

import pytest

from careloop.accounts.models import AuditLog
from careloop.callbacks import services
from careloop.callbacks.models import (
    CallbackRecord,
    CallScript,
    CallScriptVersion,
    DepartmentSetting,
    FeedbackItem,
    FollowUpTicket,
    QualityReview,
    SalesLead,
    Suggestion,
)
from careloop.callbacks.services import ItemIn, TaskNotYours
from careloop.callbacks.tests.factories import at, department, frozen, make_customer, make_task
from careloop.care.models import CallbackTask
from careloop.core.errors import DomainError, PermissionDenied
from careloop.customers.models import Interaction
from careloop.messaging.models import ScheduledMessage

pytestmark = pytest.mark.django_db
Status = CallbackTask.Status


# --- claim next ---------------------------------------------------------------------------------


def test_claim_next_takes_overdue_then_priority_then_due(zhang, wang_f, agent_li):
    low_late = make_task(zhang, assignee=agent_li, priority="low", due_in=timedelta(hours=-2))
    high_later = make_task(wang_f, assignee=agent_li, priority="high", due_in=timedelta(days=2))
    medium_soon = make_task(
        wang_f, purpose="retention", assignee=agent_li, due_in=timedelta(hours=1)
    )

    order = [services.callback_task_claim_next(agent=agent_li).pk for _ in range(3)]

    assert order == [low_late.pk, high_later.pk, medium_soon.pk]
    assert services.callback_task_claim_next(agent=agent_li) is None
    assert set(CallbackTask.objects.values_list("status", flat=True)) == {Status.IN_PROGRESS}
    assert AuditLog.objects.filter(action="callback_task.claim").count() == 3


def test_claim_next_takes_from_the_team_pool_not_other_teams(zhang, agent_li, agent_chen):
    pool = make_task(zhang)  # no assignee: 华东's pool
    assert services.callback_task_claim_next(agent=agent_chen) is None  # 华南
    task = services.callback_task_claim_next(agent=agent_li)
    assert task.pk == pool.pk
    pool.refresh_from_db()
    assert (pool.assignee_id, pool.status) == (agent_li.pk, Status.IN_PROGRESS)


def test_claim_next_skips_a_task_claimed_in_between(
    zhang, wang_f, agent_li, agent_chen, monkeypatch
):
    """Between reading the next task and claiming it, another agent takes it (SQLite has no
    row locks): the conditional UPDATE changes no row, and the agent gets the next task."""
    first = make_task(zhang, priority="high")
    second = make_task(wang_f)
    real = services.claimable

    class Racing:
        def __init__(self, qs):
            self.qs = qs

        def filter(self, *args, **kwargs):
            return Racing(self.qs.filter(*args, **kwargs))

        def order_by(self, *keys):
            return Racing(self.qs.order_by(*keys))

        def select_for_update(self, **kwargs):
            return self

        def first(self):
            task = self.qs.first()
            if task is not None and task.pk == first.pk:  # someone else is quicker
                CallbackTask.objects.filter(pk=task.pk).update(
                    status=Status.IN_PROGRESS, assignee=agent_chen
                )
            return task

    monkeypatch.setattr(services, "claimable", lambda agent: Racing(real(agent)))
    assert services.callback_task_claim_next(agent=agent_li).pk == second.pk
    first.refresh_from_db()
    assert first.assignee_id == agent_chen.pk


# --- the record ---------------------------------------------------------------------------------


def _claimed(customer, agent, **fields):
    return make_task(customer, assignee=agent, status=Status.IN_PROGRESS, **fields)


def test_reached_record_closes_task_writes_timeline_and_follow_ups(zhang, agent_li, tech):
    task = _claimed(zhang, agent_li)
    with frozen("2026-11-25 10:00"):
        record = services.callback_task_complete(
            task=task,
            agent=agent_li,
            outcome="reached",
            duration_seconds=240,
            satisfaction="neutral",
            csat=3,
            notes="客户说设备偶尔死机,希望增加远程诊断功能",
            next_contact_on=date(2026, 12, 25),
            items=[
                ItemIn("issue", "设备偶尔死机", "urgent", tech.pk),
                ItemIn("need", "想了解远程诊断模块"),
                ItemIn("suggestion", "说明书字太小"),
                ItemIn("suggestion", "   "),  # blank rows are ignored
            ],
        )
    task.refresh_from_db()
    assert (task.status, task.attempts) == (Status.DONE, 1)
    assert task.closed_at == at("2026-11-25 10:00")
    assert (record.outcome, record.attempt, record.csat, record.duration_seconds) == (
        "reached", 1, 3, 240,
    )  # fmt: skip
    contact = Interaction.objects.get(customer=zhang, kind="callback")
    assert (contact.csat, contact.channel, contact.author_id) == (3, "phone", agent_li.pk)
    assert record.interaction_id == contact.pk
    assert FeedbackItem.objects.filter(record=record).count() == 3

    ticket = FollowUpTicket.objects.get()
    assert (ticket.department_id, ticket.agent_id, ticket.urgent) == (tech.pk, agent_li.pk, True)
    assert ticket.deadline == at("2026-11-26 10:00")  # urgent: 24 h
    lead = SalesLead.objects.get()
    assert (lead.owner_id, lead.follow_up_on) == (agent_li.pk, date(2026, 12, 25))
    follow = lead.follow_task
    assert (follow.purpose, follow.source_type, follow.source_id) == (
        "retention",
        "sales_lead",
        lead.pk,
    )
    assert follow.due_at == at("2026-12-25 10:00")
    assert Suggestion.objects.get().text == "说明书字太小"
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"callback.record", "followup_ticket.create", "sales_lead.create"} <= actions


def test_normal_issue_deadline_follows_the_department_setting(zhang, agent_li, tech):
    DepartmentSetting.objects.create(department=tech, normal_days=10)
    after_sales = department("售后部")
    task = _claimed(zhang, agent_li)
    with frozen("2026-11-25 10:00"):
        services.callback_task_complete(
            task=task, agent=agent_li, outcome="reached",
            items=[ItemIn("issue", "配件缺失", "normal", tech.pk),
                   ItemIn("issue", "上门安装太晚", "normal", after_sales.pk)],
        )  # fmt: skip
    deadlines = dict(FollowUpTicket.objects.values_list("department__name", "deadline"))
    assert deadlines == {"技术部": at("2026-12-05 10:00"), "售后部": at("2026-12-25 10:00")}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "reached", "csat": 6}, "csat"),
        ({"outcome": "unreached", "satisfaction": "satisfied"}, "satisfaction"),
        ({"outcome": "call_later"}, "call_back_at"),
        ({"outcome": "reached", "next_contact_on": date(2020, 1, 1)}, "next_contact_on"),
        ({"outcome": "reached", "items": [ItemIn("issue", "坏了")]}, "items"),
        ({"outcome": "reached", "items": [ItemIn("praise", "很好")]}, "items"),
        ({"outcome": "refused", "items": [ItemIn("need", "想买")]}, "items"),
        ({"outcome": "reached", "duration_seconds": 99999}, "duration_seconds"),
    ],
)
def test_bad_record_names_the_field_and_writes_nothing(zhang, agent_li, kwargs, field):
    task = _claimed(zhang, agent_li)
    with pytest.raises(DomainError) as caught:
        services.callback_task_complete(task=task, agent=agent_li, **kwargs)
    assert caught.value.field == field
    task.refresh_from_db()
    assert (task.status, task.attempts) == (Status.IN_PROGRESS, 0)
    assert CallbackRecord.objects.count() == FeedbackItem.objects.count() == 0
    assert not Interaction.objects.filter(kind="callback").exists()


def test_someone_elses_or_closed_task_is_refused(zhang, agent_li, supervisor_zhao):
    task = _claimed(zhang, agent_li)
    with pytest.raises(TaskNotYours):
        services.callback_task_complete(task=task, agent=supervisor_zhao, outcome="reached")
    services.callback_task_complete(task=task, agent=agent_li, outcome="reached")
    with pytest.raises(TaskNotYours):
        services.callback_task_complete(task=task, agent=agent_li, outcome="reached")
    assert CallbackRecord.objects.count() == 1


def test_high_risk_notes_mark_the_record_and_the_contact(zhang, agent_li):
    task = _claimed(zhang, agent_li)
    record = services.callback_task_complete(
        task=task, agent=agent_li, outcome="reached",
        notes="客户说再不解决就去12315投诉,还要发微博曝光",
    )  # fmt: skip
    contact = Interaction.objects.get(kind="callback")
    assert record.high_risk is True and contact.high_risk is True


def test_refused_and_wrong_number(zhang, wang_f, agent_li):
    refused = _claimed(zhang, agent_li)
    services.callback_task_complete(task=refused, agent=agent_li, outcome="refused")
    wrong = _claimed(wang_f, agent_li)
    services.callback_task_complete(task=wrong, agent=agent_li, outcome="wrong_number")
    refused.refresh_from_db()
    wrong.refresh_from_db()
    assert (refused.status, wrong.status) == (Status.DONE, Status.UNREACHED)
    assert not ScheduledMessage.objects.exists()  # a wrong number gets no message


def test_call_later_moves_the_task_to_the_agreed_time(zhang, agent_li):
    task = _claimed(zhang, agent_li)
    with frozen("2026-11-25 10:00"):
        services.callback_task_complete(
            task=task, agent=agent_li, outcome="call_later", call_back_at=at("2026-11-26 15:00")
        )
    task.refresh_from_db()
    assert (task.status, task.due_at, task.attempts) == (
        Status.OPEN, at("2026-11-26 15:00"), 1,
    )  # fmt: skip


# --- unreached ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-11-25 09:30", "2026-11-25 14:30"),  # morning → afternoon
        ("2026-11-25 14:40", "2026-11-25 17:00"),  # afternoon → evening
        ("2026-11-25 17:10", "2026-11-26 10:00"),  # evening → next working day's morning
        ("2026-11-27 17:10", "2026-11-30 10:00"),  # Friday evening → Monday morning
        ("2026-11-28 11:00", "2026-11-30 10:00"),  # a Saturday → Monday morning
    ],
)
def test_next_attempt_is_at_another_time_of_day(now, expected):
    assert services.next_attempt_at(at(now)) == at(expected)


def test_three_unreached_attempts_then_a_message_and_close(zhang, agent_li, settings):
    settings.CARELOOP_CALLBACK_MAX_ATTEMPTS = 3
    task = _claimed(zhang, agent_li)
    with frozen("2026-11-25 09:30") as clock:
        services.callback_task_complete(task=task, agent=agent_li, outcome="unreached")
        task.refresh_from_db()
        assert (task.status, task.attempts, task.due_at) == (
            Status.OPEN, 1, at("2026-11-25 14:30"),
        )  # fmt: skip
        clock.set("2026-11-25 14:31")
        services.callback_task_complete(task=task, agent=agent_li, outcome="unreached")
        task.refresh_from_db()
        assert (task.attempts, task.due_at) == (2, at("2026-11-25 17:00"))
        assert not ScheduledMessage.objects.exists()
        clock.set("2026-11-25 17:05")
        services.callback_task_complete(task=task, agent=agent_li, outcome="unreached")
    task.refresh_from_db()
    assert (task.status, task.attempts) == (Status.UNREACHED, 3)
    message = ScheduledMessage.objects.get()
    assert (message.purpose, message.source_type, message.source_id) == (
        "callback_unreached", "callback_task", task.pk,
    )  # fmt: skip
    assert message.body.startswith("张先生您好")
    assert list(task.records.values_list("attempt", flat=True).order_by("attempt")) == [1, 2, 3]


def test_max_attempts_is_configurable(zhang, agent_li, settings):
    settings.CARELOOP_CALLBACK_MAX_ATTEMPTS = 1
    task = _claimed(zhang, agent_li)
    services.callback_task_complete(task=task, agent=agent_li, outcome="unreached")
    task.refresh_from_db()
    assert task.status == Status.UNREACHED
    assert ScheduledMessage.objects.count() == 1


# --- tickets ------------------------------------------------------------------------------------


def _ticket(customer, agent, dept, urgency="normal") -> FollowUpTicket:
    task = _claimed(customer, agent)
    services.callback_task_complete(
        task=task,
        agent=agent,
        outcome="reached",
        items=[ItemIn("issue", "打印机卡纸", urgency, dept.pk)],
    )
    return FollowUpTicket.objects.get(item__record__task=task)


def test_resolving_a_ticket_asks_the_agent_for_a_resolution_check(zhang, agent_li, tech, tech_sun):
    ticket = _ticket(zhang, agent_li, tech)
    with frozen("2026-11-25 16:00"):
        ticket = services.followup_ticket_resolve(
            ticket=ticket, user=tech_sun, resolution="已寄送新配件"
        )
    check = ticket.resolution_task
    assert (ticket.status, ticket.resolved_by_id) == ("resolved", tech_sun.pk)
    assert (check.purpose, check.source_type, check.source_id) == (
        "resolution_check", "followup_ticket", ticket.pk,
    )  # fmt: skip
    assert (check.assignee_id, check.status, check.priority) == (agent_li.pk, "open", "high")
    assert check.due_at == at("2026-11-26 16:00")
    assert ticket.number in check.reason and "技术部" in check.reason
    assert AuditLog.objects.filter(action="followup_ticket.resolve").count() == 1


def test_only_the_department_resolves_once_with_a_result(
    zhang, agent_li, tech, tech_sun, agent_chen
):
    ticket = _ticket(zhang, agent_li, tech)
    with pytest.raises(PermissionDenied):
        services.followup_ticket_resolve(ticket=ticket, user=agent_chen, resolution="好了")
    with pytest.raises(DomainError) as caught:
        services.followup_ticket_resolve(ticket=ticket, user=tech_sun, resolution="  ")
    assert caught.value.field == "resolution"
    services.followup_ticket_resolve(ticket=ticket, user=tech_sun, resolution="已修复")
    with pytest.raises(DomainError):
        services.followup_ticket_resolve(ticket=ticket, user=tech_sun, resolution="再次")
    assert CallbackTask.objects.filter(purpose="resolution_check").count() == 1


def test_tickets_are_visible_to_the_department_the_agent_and_their_supervisor(
    zhang, agent_li, tech, tech_sun, supervisor_zhao, agent_chen
):
    _ticket(zhang, agent_li, tech)
    for user, n in [(tech_sun, 1), (agent_li, 1), (supervisor_zhao, 1), (agent_chen, 0)]:
        assert FollowUpTicket.objects.visible_to(user).count() == n, user


# --- suggestions, leads, scripts, quality ---------------------------------------------------------


def test_suggestion_review(zhang, agent_li, supervisor_zhao):
    task = _claimed(zhang, agent_li)
    services.callback_task_complete(
        task=task, agent=agent_li, outcome="reached", items=[ItemIn("suggestion", "希望有夜间客服")]
    )
    s = Suggestion.objects.get()
    with pytest.raises(PermissionDenied):
        services.suggestion_review(suggestion=s, user=agent_li, status="accepted")
    with pytest.raises(DomainError) as caught:
        services.suggestion_review(suggestion=s, user=supervisor_zhao, status="declined")
    assert caught.value.field == "review_note"
    services.suggestion_review(
        suggestion=s, user=supervisor_zhao, status="accepted", note="下季度上线"
    )
    s.refresh_from_db()
    assert (s.status, s.reviewed_by_id) == ("accepted", supervisor_zhao.pk)


def test_lead_re_follow_skips_when_a_retention_task_is_open(zhang, agent_li):
    existing = make_task(zhang, purpose="retention", assignee=agent_li)
    task = _claimed(zhang, agent_li)
    services.callback_task_complete(
        task=task, agent=agent_li, outcome="reached", items=[ItemIn("need", "想加购耗材")]
    )
    lead = SalesLead.objects.get()
    assert lead.follow_task is None
    assert CallbackTask.objects.filter(purpose="retention").get() == existing
    services.sales_lead_update(lead=lead, user=agent_li, status="won")
    lead.refresh_from_db()
    assert lead.status == "won"


def test_script_save_versions_and_refuses_agents(supervisor_zhao, agent_li):
    script = CallScript.objects.get(purpose="wakeup", value_class="")
    fields = script.snapshot() | {"opening": "{{称呼}}您好,好久不见!"}
    with pytest.raises(PermissionDenied):
        services.call_script_save(user=agent_li, script=script, **fields)
    saved = services.call_script_save(user=supervisor_zhao, script=script, **fields)
    assert saved.version == 2
    assert CallScriptVersion.objects.filter(script=script).count() == 2
    again = services.call_script_save(user=supervisor_zhao, script=saved, **fields)  # unchanged
    assert again.version == 2
    with pytest.raises(DomainError) as caught:
        services.call_script_save(user=supervisor_zhao, script=saved, **(fields | {"closing": ""}))
    assert caught.value.field == "closing"
    core = services.call_script_save(
        user=supervisor_zhao, purpose="wakeup", value_class="core", **fields
    )
    assert (core.version, core.value_class) == (1, "core")
    with pytest.raises(DomainError) as caught:
        services.call_script_save(
            user=supervisor_zhao, purpose="wakeup", value_class="core", **fields
        )
    assert caught.value.field == "value_class"


def test_every_purpose_has_a_default_script():
    from careloop.care.purposes import all_purposes

    have = set(CallScript.objects.filter(value_class="").values_list("purpose", flat=True))
    assert have == {p.key for p in all_purposes()}


def test_quality_review_scope_and_range(zhang, agent_li, supervisor_zhao, team_south):
    from careloop.accounts.services import user_create

    task = _claimed(zhang, agent_li)
    record = services.callback_task_complete(task=task, agent=agent_li, outcome="reached")
    with pytest.raises(DomainError) as caught:
        services.quality_review_save(record=record, reviewer=supervisor_zhao, score=101)
    assert caught.value.field == "score"
    other = user_create(username="qian", password="x", role="supervisor", team=team_south)
    with pytest.raises(PermissionDenied):
        services.quality_review_save(record=record, reviewer=other, score=80)
    services.quality_review_save(
        record=record, reviewer=supervisor_zhao, score=85, comment="开场清晰"
    )
    services.quality_review_save(record=record, reviewer=supervisor_zhao, score=90)
    assert QualityReview.objects.get().score == 90


# --- appointment notices and visits ---------------------------------------------------------------


def test_visit_plan_schedules_the_notice_three_working_days_before(zhang, agent_li):
    with frozen("2026-11-25 09:00"):
        task = make_task(
            zhang, assignee=agent_li, method="visit", due_at=at("2026-11-30 14:00")
        )  # a Monday: 3 working days before is Wednesday 11-25
        plan = services.visit_plan_save(
            task=task, user=agent_li, people="李客服、王工程师", agenda="设备巡检;续约沟通"
        )
        plan = services.visit_plan_save(
            task=task, user=agent_li, people="李客服", agenda="设备巡检"
        )  # saved again: the notice is replaced, not doubled
    assert plan.notice_at == at("2026-11-25 10:00")
    scheduled = ScheduledMessage.objects.filter(status="scheduled")
    assert scheduled.count() == 1
    message = scheduled.get()
    assert message.send_at == at("2026-11-25 10:00")
    assert "李客服" in message.body and "设备巡检" in message.body
    with pytest.raises(DomainError) as caught:
        services.visit_plan_save(task=task, user=agent_li, people="", agenda="x")
    assert caught.value.field == "people"


def test_visit_plan_only_for_visits(zhang, agent_li):
    task = make_task(zhang, assignee=agent_li)
    with pytest.raises(DomainError) as caught:
        services.visit_plan_save(task=task, user=agent_li, people="李", agenda="x")
    assert caught.value.field == "task"


def test_appointment_notices_the_day_before_for_non_urgent_calls(zhang, wang_f, agent_li):
    with frozen("2026-11-25 08:00"):
        tomorrow = make_task(zhang, assignee=agent_li, due_at=at("2026-11-26 15:00"))
        make_task(wang_f, assignee=agent_li, priority="high", due_at=at("2026-11-26 15:00"))
        make_task(wang_f, purpose="retention", assignee=agent_li, due_at=at("2026-11-28 15:00"))
        assert services.appointment_notices(as_of=date(2026, 11, 25)) == 1
        assert services.appointment_notices(as_of=date(2026, 11, 25)) == 0  # idempotent
    message = ScheduledMessage.objects.get()
    assert (message.source_id, message.purpose) == (tomorrow.pk, "appointment")
    assert message.send_at == at("2026-11-25 10:00")
    assert "11月26日 15:00" in message.body


def test_customers_without_a_team_still_get_tasks_for_follow_ups(agent_li, tech, tech_sun):
    lone = make_customer("赵六", gender="M")
    ticket = _ticket(lone, agent_li, tech)
    services.followup_ticket_resolve(ticket=ticket, user=tech_sun, resolution="已处理")
    ticket.refresh_from_db()
    assert ticket.resolution_task.team_id == agent_li.team_id


def test_appointment_notices_job_uses_the_company_day(zhang, agent_li):
    from careloop.callbacks.tasks import appointment_notices_job

    with frozen("2026-11-25 03:00"):
        make_task(zhang, assignee=agent_li, due_at=at("2026-11-26 15:00"))
        appointment_notices_job.call_local()
    assert ScheduledMessage.objects.get().send_at == at("2026-11-25 10:00")


def test_next_contact_date_makes_a_follow_up_task(zhang, agent_li):
    task = _claimed(zhang, agent_li, priority="low")
    with frozen("2026-11-25 10:00"):
        record = services.callback_task_complete(
            task=task, agent=agent_li, outcome="reached", notes="下月初再谈续约",
            next_contact_on=date(2026, 12, 3),
        )  # fmt: skip
    follow = CallbackTask.objects.get(source_type="callback_record", source_id=record.pk)
    assert (follow.purpose, follow.assignee_id, follow.priority, follow.status) == (
        "wakeup", agent_li.pk, "low", "open",
    )  # fmt: skip
    assert follow.due_at == at("2026-12-03 10:00")
    assert "下月初再谈续约" in follow.reason


def test_a_resolved_ticket_joins_an_open_resolution_check(zhang, agent_li, tech, tech_sun):
    complaint_check = make_task(
        zhang, purpose="resolution_check", assignee=agent_li, reason="投诉已解决,请回访"
    )
    ticket = _ticket(zhang, agent_li, tech)
    ticket = services.followup_ticket_resolve(ticket=ticket, user=tech_sun, resolution="已修好")
    assert ticket.resolution_task == complaint_check
    complaint_check.refresh_from_db()
    assert complaint_check.reason.startswith("投诉已解决,请回访;工单 GD")
    assert CallbackTask.objects.filter(purpose="resolution_check").count() == 1


def test_claiming_a_taken_task_is_refused(zhang, agent_li, supervisor_zhao, team_east):
    from careloop.accounts.services import user_create

    zhou = user_create(username="zhou", password="x", role="agent", team=team_east)
    task = make_task(zhang)
    services.callback_task_claim(task=task, agent=zhou)
    with pytest.raises(TaskNotYours):
        services.callback_task_claim(task=task, agent=agent_li)
    task.refresh_from_db()
    assert task.assignee_id == zhou.pk
