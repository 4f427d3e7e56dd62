"""Rule editing (validated, versioned, audited), preview, explain, reassign and overdue."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from careloop.accounts.models import AuditLog
from careloop.accounts.services import user_create
from careloop.care.models import CallbackTask, CareRule, CareRuleVersion
from careloop.care.services import (
    callback_tasks_flag_overdue,
    callback_tasks_reassign,
    care_rule_draft,
    care_rule_preview,
    care_rule_update,
    care_rules_ensure_defaults,
    care_script_render,
    plan_explain_customer,
)
from careloop.care.tests.helpers import customer, only, plan, rule
from careloop.core.errors import DomainError, PermissionDenied
from careloop.customers.tests.factories import at

pytestmark = pytest.mark.django_db

D = date(2026, 9, 15)


def test_default_rules_one_per_purpose_in_precedence_order():
    rules = {r.purpose: r for r in CareRule.objects.all()}
    assert list(rules) == [
        "complaint_followup", "resolution_check", "churn_rescue", "emotion_care",
        "detractor_followup", "activation", "wakeup", "retention", "birthday", "holiday",
        "announcement",
    ]  # fmt: skip
    assert rules["churn_rescue"].methods == {
        "A": "visit",
        "B": "phone",
        "C": "phone",
        "none": "phone",
    }
    assert rules["birthday"].methods["A"] == ["sms", "phone"]
    assert rules["wakeup"].holdout_share == Decimal("0.050")
    assert rules["churn_rescue"].holdout_share == 0
    assert not rules["announcement"].enabled
    assert CareRuleVersion.objects.count() == 11
    CareRule.objects.filter(purpose="birthday").delete()
    assert [r.purpose for r in care_rules_ensure_defaults()] == ["birthday"]
    assert care_rules_ensure_defaults() == []


def test_rule_update_bumps_version_keeps_snapshot_and_audits(supervisor_zhao):
    wakeup = rule("wakeup")
    updated = care_rule_update(
        rule=wakeup, user=supervisor_zhao, priority="high", methods={"A": "visit", "C": ["sms"]},
        holdout_share="0.1",
    )  # fmt: skip
    assert (updated.version, updated.priority, updated.holdout_share) == (
        2,
        "high",
        Decimal("0.100"),
    )
    assert updated.methods == {"A": "visit", "C": "sms"}
    snapshot = CareRuleVersion.objects.get(rule=wakeup, version=2).snapshot
    assert snapshot["priority"] == "high" and snapshot["holdout_share"] == "0.100"
    entry = AuditLog.objects.get(action="care_rule.update")
    assert entry.detail["changes"]["priority"] == ["medium", "high"]
    assert entry.actor == supervisor_zhao
    # nothing changed: no new version
    assert care_rule_update(rule=updated, user=supervisor_zhao, priority="high").version == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"priority": "urgent"}, "priority"),
        ({"due_days": 0}, "due_days"),
        ({"due_days": "abc"}, "due_days"),
        ({"methods": {"D": "phone"}}, "methods"),
        ({"methods": {"A": "fax"}}, "methods"),
        ({"holdout_share": "0.8"}, "holdout_share"),
        ({"name": ""}, "name"),
        ({"assignment": "random"}, "assignment"),
        ({"version": 9}, "version"),
    ],
)
def test_rule_update_refuses_bad_values_and_writes_nothing(supervisor_zhao, fields, field):
    wakeup = rule("wakeup")
    with pytest.raises(DomainError) as refused:
        care_rule_update(rule=wakeup, user=supervisor_zhao, **({"name": "新名字"} | fields))
    assert refused.value.field == field
    wakeup.refresh_from_db()
    assert (wakeup.version, wakeup.name) == (1, "沉睡唤醒:A/B 类电话,C 类短信优惠")
    assert not AuditLog.objects.exists()


def test_no_holdout_for_complaint_and_risk_purposes(supervisor_zhao):
    with pytest.raises(DomainError) as refused:
        care_rule_update(rule=rule("churn_rescue"), user=supervisor_zhao, holdout_share="0.05")
    assert refused.value.message == "流失挽回 不设对照组(投诉与风险类关怀必须全部执行)"


def test_agents_may_not_edit_rules(agent_li):
    with pytest.raises(PermissionDenied):
        care_rule_update(rule=rule("wakeup"), user=agent_li, priority="high")


def test_preview_counts_what_a_draft_would_create_today_and_writes_nothing(
    supervisor_zhao, team_east
):
    only()
    for n in range(3):
        customer(f"沉睡{n}", team=team_east, lifecycle="dormant", tier="B")
    customer("别组", lifecycle="dormant", tier="B")
    draft = care_rule_draft(rule=rule("wakeup"), enabled=True, holdout_share="0")
    count, sample = care_rule_preview(rule_or_draft=draft, as_of=D, user=supervisor_zhao)
    assert count == 4  # the whole audience …
    assert [c.name for c in sample] == ["沉睡0", "沉睡1", "沉睡2"]  # … the sample within scope
    assert not CallbackTask.objects.exists()
    CareRule.objects.filter(purpose="wakeup").update(enabled=True, holdout_share=0)
    plan(D)  # the day is planned: the preview still counts as if it were not
    assert care_rule_preview(rule_or_draft=draft, as_of=D)[0] == 4


def test_explain_why_a_customer_did_or_did_not_get_a_task(team_east):
    only("churn_rescue", "birthday", "wakeup", "retention")
    c = customer("解释", lifecycle="churn_warning", tier="B", birthday=date(1990, 9, 18))
    before = {e.purpose: e for e in plan_explain_customer(customer=c, as_of=D)}
    assert before["churn_rescue"].outcome == "pending"
    assert before["birthday"].outcome == "suppressed"
    assert before["birthday"].reason_code == "precedence"
    assert before["wakeup"].outcome == "not_candidate"
    assert before["wakeup"].reason == "不符合触发条件:生命周期为沉睡,且 60 天内没有唤醒"
    plan(D)
    after = {e.purpose: e for e in plan_explain_customer(customer=c, as_of=D)}
    assert after["churn_rescue"].outcome == "created"
    assert after["churn_rescue"].task_id == CallbackTask.objects.get().pk
    assert (after["birthday"].outcome, after["birthday"].reason) == (
        "suppressed",
        "今天已安排更优先的关怀:流失挽回",
    )
    assert list(after) == ["churn_rescue", "wakeup", "retention", "birthday"]


def _task(c, **fields):
    fields = {
        "purpose": "wakeup", "priority": "medium", "priority_rank": 2, "method": "phone",
        "due_at": at("2026-09-30"), "plan_date": D, "team": c.team,
    } | fields  # fmt: skip
    return CallbackTask.objects.create(customer=c, **fields)


def test_reassign_in_bulk_within_the_team_audited(supervisor_zhao, agent_li, team_east, team_south):
    tasks = [_task(customer(f"客户{n}", team=team_east)) for n in range(3)]
    assert callback_tasks_reassign(tasks=tasks, assignee=agent_li, user=supervisor_zhao) == 3
    assert set(CallbackTask.objects.values_list("assignee_id", flat=True)) == {agent_li.pk}
    audits = AuditLog.objects.filter(action="callback_task.reassign")
    assert audits.count() == 3 and audits.first().detail["to"] == "li"
    assert callback_tasks_reassign(tasks=tasks, assignee=agent_li, user=supervisor_zhao) == 0
    assert callback_tasks_reassign(tasks=tasks[:1], assignee=None, user=supervisor_zhao) == 1


def test_reassign_refuses_other_teams_closed_tasks_and_outsiders(
    supervisor_zhao, agent_li, agent_chen, team_east, team_south
):
    ours = _task(customer("本组", team=team_east))
    theirs = _task(customer("别组", team=team_south))
    with pytest.raises(DomainError) as refused:
        callback_tasks_reassign(tasks=[ours, theirs], assignee=agent_li, user=supervisor_zhao)
    assert refused.value.field == "tasks"
    with pytest.raises(DomainError) as refused:
        callback_tasks_reassign(tasks=[ours], assignee=agent_chen, user=supervisor_zhao)
    assert refused.value.message == "只能分配给本团队的坐席"
    _task(customer("已完成", team=team_east), status="done")
    done = CallbackTask.objects.get(status="done")
    with pytest.raises(DomainError):
        callback_tasks_reassign(tasks=[ours, done], assignee=agent_li, user=supervisor_zhao)
    with pytest.raises(PermissionDenied):
        callback_tasks_reassign(tasks=[ours], assignee=agent_li, user=agent_li)
    assert CallbackTask.objects.filter(assignee__isnull=False).count() == 0


def test_overdue_tasks_are_flagged_and_escalated_once(supervisor_zhao, team_east, agent_li):
    late = _task(customer("逾期", team=team_east), due_at=at("2026-09-14 18:00"), assignee=agent_li)
    _task(customer("未到期", team=team_east), due_at=at("2026-09-16 18:00"))
    _task(customer("已完成", team=team_east), due_at=at("2026-09-10 18:00"), status="done")
    now = at("2026-09-15 09:00")
    result = callback_tasks_flag_overdue(now=now)
    assert (result.flagged, result.escalated) == (1, 1)
    late.refresh_from_db()
    assert (late.overdue_at, late.escalated_at, late.escalated_to) == (now, now, supervisor_zhao)
    entry = AuditLog.objects.get(action="callback_task.escalate")
    assert (entry.target_id, entry.detail["to"]) == (str(late.pk), "zhao")
    again = callback_tasks_flag_overdue(now=now + timedelta(minutes=10))
    assert (again.flagged, again.escalated) == (0, 0)


def test_overdue_without_a_supervisor_is_flagged_not_escalated(team_south):
    _task(customer("无主管", team=team_south), due_at=at("2026-09-14 18:00"))
    user_create(username="x", password="x", role="agent", team=team_south)
    result = callback_tasks_flag_overdue(now=at("2026-09-15 09:00"))
    assert (result.flagged, result.escalated) == (1, 0)


def test_script_filled_in_with_the_customer_and_agent(agent_li, team_east):
    c = customer("张三丰", team=team_east, gender="M")
    task = _task(c, rule=rule("wakeup"), assignee=agent_li, reason="沉睡客户")
    CareRule.objects.filter(pk=task.rule_id).update(
        script_template="{{称呼}}您好,我是{{坐席}}。{{原因}}。{{未知}}"
    )
    task.refresh_from_db()
    assert care_script_render(task=task) == "张先生您好,我是李客服。沉睡客户。{{未知}}"
