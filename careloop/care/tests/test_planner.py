"""plan_day: precedence, suppression reasons, hold-out, idempotency, dry run, assignment."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from careloop.accounts.services import user_create
from careloop.care.models import AgentProfile, CallbackTask, CareRule, PlanRun, PlanSuppression
from careloop.care.planner import HOLDOUT_BUCKETS, holdout_bucket_of
from careloop.care.tests.helpers import created, customer, only, plan, rule, suppressed, task_of
from careloop.customers.models import Customer
from careloop.customers.tests.factories import at, make_complaint, make_contact
from careloop.messaging.models import MessageOptOut, ScheduledMessage

pytestmark = pytest.mark.django_db

D = date(2026, 9, 15)


def test_precedence_one_proactive_task_a_day_the_highest_purpose_wins():
    only("churn_rescue", "birthday", "complaint_followup")
    c = customer("多重", lifecycle="churn_warning", tier="B", birthday=date(1990, 9, 18))
    make_complaint(c, when="2026-09-15 09:00")
    result = plan(D)
    assert {e["purpose"] for e in result.to_json()["created"]} == {
        "complaint_followup",  # service care is not counted against the day's one
        "churn_rescue",
    }
    assert suppressed(result) == {(c.external_id, "birthday"): "precedence"}
    (entry,) = result.to_json()["suppressed"]
    assert entry["reason"] == "今天已安排更优先的关怀:流失挽回"
    assert PlanSuppression.objects.get().reason_code == "precedence"


def test_a_higher_purpose_later_the_same_day_replaces_an_untouched_task():
    only("wakeup")
    c = customer("沉睡", lifecycle="dormant", tier="B")
    plan(D)  # the nightly run: a wake-up call
    only("detractor_followup")
    make_contact(c, kind="survey", when="2026-09-15 10:00", nps=3)
    result = plan(D, purposes=["detractor_followup"], trigger="event")  # the event run
    assert set(created(result)) == {c.external_id}
    assert suppressed(result) == {(c.external_id, "wakeup"): "precedence"}
    assert result.to_json()["suppressed"][0]["reason"] == "已被今天更优先的关怀取代:差评回访"
    assert task_of(c, "wakeup").status == "cancelled"
    assert task_of(c, "detractor_followup").status == "open"


def test_a_started_or_sent_lower_task_keeps_the_slot():
    only("wakeup")
    called = customer("已拨打", lifecycle="dormant", tier="B")
    texted = customer("已发短信", lifecycle="dormant", tier="C")
    plan(D)
    CallbackTask.objects.filter(customer=called).update(attempts=1)
    only("detractor_followup")
    for c in (called, texted):
        make_contact(c, kind="survey", when="2026-09-15 10:00", nps=3)
    result = plan(D)
    assert result.created == []
    assert suppressed(result) == {
        (called.external_id, "detractor_followup"): "precedence",
        (texted.external_id, "detractor_followup"): "precedence",
    }
    assert set(CallbackTask.objects.values_list("status", flat=True)) == {"open", "done"}


def test_do_not_contact_suppresses_proactive_care_only():
    only("wakeup", "complaint_followup")
    c = customer("免打扰", lifecycle="dormant", tier="A", do_not_contact=True)
    make_complaint(c, when="2026-09-15 09:00")
    result = plan(D)
    assert set(e["purpose"] for e in result.to_json()["created"]) == {"complaint_followup"}
    assert suppressed(result) == {(c.external_id, "wakeup"): "do_not_contact"}


def test_one_open_task_per_purpose_later_candidates_are_duplicates():
    only("churn_rescue")
    c = customer("未完成", lifecycle="churn_warning", tier="B")
    CallbackTask.objects.create(
        customer=c, purpose="churn_rescue", priority="high", priority_rank=1, method="phone",
        due_at=at("2026-07-01"), plan_date=date(2026, 6, 1),
    )  # fmt: skip
    result = plan(D)
    assert result.created == []
    assert suppressed(result) == {(c.external_id, "churn_rescue"): "duplicate"}
    assert result.to_json()["suppressed"][0]["reason"] == "已有未完成的流失挽回任务"


def test_second_complaint_while_the_first_is_followed_up_is_a_duplicate():
    only("complaint_followup")
    c = customer("两次投诉")
    make_complaint(c, when="2026-09-15 09:00")
    make_complaint(c, when="2026-09-15 11:00")
    result = plan(D)
    assert len(result.created) == 1
    assert task_of(c, "complaint_followup").due_at == at("2026-09-16 09:00")
    CallbackTask.objects.update(status="done")
    assert len(plan(date(2026, 9, 16)).created) == 1  # the second complaint's turn


def test_frequency_cap_suppresses_a_message_only_task():
    only("wakeup")
    c = customer("刚发过", lifecycle="dormant", tier="C")
    ScheduledMessage.objects.create(
        customer=c, purpose="birthday", channel="sms", body="生日快乐", marketing=True,
        send_at=at("2026-09-12 10:00"),
    )  # fmt: skip
    result = plan(D)
    assert result.created == []
    assert suppressed(result) == {(c.external_id, "wakeup"): "frequency_cap"}
    assert not CallbackTask.objects.exists()
    assert ScheduledMessage.objects.filter(status="suppressed").count() == 1


def test_opt_out_suppresses_marketing_but_not_the_call():
    only("wakeup")
    c = customer("退订", lifecycle="dormant", tier="C")
    a = customer("退订A", lifecycle="dormant", tier="A")
    for who in (c, a):
        MessageOptOut.objects.create(customer=who, channel="", source="reply")
    result = plan(D)
    assert suppressed(result) == {(c.external_id, "wakeup"): "do_not_contact"}
    assert result.to_json()["suppressed"][0]["reason"] == "客户已退订营销消息"
    assert set(created(result)) == {a.external_id}  # tier A gets a call, not a message


def test_quiet_hours_an_apology_at_night_goes_out_at_nine():
    only("complaint_followup")
    c = customer("夜间投诉")
    make_complaint(c, when="2026-09-15 22:30")
    result = plan(D, now=at("2026-09-15 22:31"))
    (apology,) = result.to_json()["messages"]
    assert apology["send_at"] == "2026-09-16T09:00:00+08:00"


def test_quiet_hours_do_not_hold_the_apology_for_a_stopped_production_line():
    only("complaint_followup")
    c = customer("停产客户")
    make_complaint(c, when="2026-09-15 22:30", severity="A")
    result = plan(D, now=at("2026-09-15 22:31"))
    (apology,) = result.to_json()["messages"]
    assert apology["send_at"] == "2026-09-15T22:31:00+08:00"  # severity A: at once


def test_holdout_is_stable_across_days_and_matches_the_share():
    only("wakeup")
    CareRule.objects.filter(purpose="wakeup").update(holdout_share="0.1")
    salt = rule("wakeup").holdout_salt
    people = [customer(f"客户{n}", lifecycle="dormant", tier="B") for n in range(120)]
    expected = {
        c.external_id for c in people if holdout_bucket_of(c.pk, salt) < 0.1 * HOLDOUT_BUCKETS
    }
    first = plan(D, dry_run=True)
    held = {ext for (ext, _), code in suppressed(first).items() if code == "holdout"}
    assert held == expected
    assert 4 <= len(held) <= 20
    later = plan(D + timedelta(days=40), dry_run=True)
    assert {ext for (ext, _), code in suppressed(later).items() if code == "holdout"} == held
    assert len(first.created) == 120 - len(held)
    reasons = {e["reason"] for e in first.to_json()["suppressed"]}
    assert reasons == {"对照组客户(比例 10%),不安排关怀"}


def test_rerun_for_the_same_day_creates_and_records_nothing_new():
    only("wakeup", "birthday", "complaint_followup")
    c = customer("重复运行", lifecycle="dormant", tier="B", birthday=date(1990, 9, 17))
    make_complaint(c, when="2026-09-15 09:00")
    first = plan(D)
    assert len(first.created) == 2 and len(first.suppressed) == 1
    again = plan(D)
    assert (again.created, again.suppressed, again.messages) == ([], [], [])
    assert CallbackTask.objects.count() == 2
    assert PlanSuppression.objects.count() == 1
    assert ScheduledMessage.objects.count() == 1  # the apology, once
    assert PlanRun.objects.count() == 2


def test_dry_run_gives_the_real_result_and_writes_nothing():
    only("wakeup", "birthday", "complaint_followup", "activation")
    customer("沉睡C", lifecycle="dormant", tier="C")
    customer("沉睡B", lifecycle="dormant", tier="B", birthday=date(1990, 9, 16))
    complained = customer("投诉")
    make_complaint(complained, when="2026-09-15 09:00")
    customer("新客", first_order_at="2026-09-14 09:00")
    dry = plan(D, dry_run=True)
    assert dry.dry_run and dry.run_id is None
    for model in (CallbackTask, PlanSuppression, PlanRun, ScheduledMessage):
        assert model.objects.count() == 0
    real = plan(D)
    assert real.to_json() == dry.to_json()
    assert len(real.to_json()["created"]) == 3
    assert len(real.to_json()["messages"]) == 3  # wakeup offer, apology, welcome


def test_database_refuses_a_second_open_task_of_a_purpose():
    c = customer("约束")
    fields = {
        "customer": c, "purpose": "wakeup", "priority": "medium", "priority_rank": 2,
        "method": "phone", "due_at": at("2026-09-30"),
    }  # fmt: skip
    CallbackTask.objects.create(plan_date=D, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        CallbackTask.objects.create(plan_date=D + timedelta(days=1), **fields)
    CallbackTask.objects.update(status="done")
    with pytest.raises(IntegrityError), transaction.atomic():
        CallbackTask.objects.create(plan_date=D, **fields)  # same day
    complaint = make_complaint(c)
    event = fields | {"purpose": "complaint_followup", "source_type": "complaint"}
    CallbackTask.objects.create(plan_date=D, source_id=complaint.pk, **event)
    CallbackTask.objects.update(status="done")
    with pytest.raises(IntegrityError), transaction.atomic():
        CallbackTask.objects.create(
            plan_date=D + timedelta(days=2), source_id=complaint.pk, **event
        )


def test_deleting_a_customer_rule_or_team_leaves_no_dangling_plan_rows(team_east):
    """Tasks' rule and team, and suppressions' customer and rule, have no database constraint
    (ADR 0014): Django's on_delete keeps them consistent."""
    only("churn_rescue", "birthday")
    kept = customer("保留", team=team_east, lifecycle="churn_warning", tier="B")
    gone = customer("删除", lifecycle="churn_warning", birthday=date(1990, 9, 18))
    plan(D)
    assert PlanSuppression.objects.filter(customer=gone).exists()
    gone.delete()
    assert not PlanSuppression.objects.filter(customer_id=gone.pk).exists()
    assert not CallbackTask.objects.filter(customer_id=gone.pk).exists()
    rule("churn_rescue").delete()
    team_east.delete()
    task = CallbackTask.objects.get(customer=kept)
    assert (task.rule_id, task.team_id) == (None, None)


# --- assignment ------------------------------------------------------------------------------


@pytest.fixture
def agents(team_east):
    made = {
        name: user_create(username=name, password="x", role="agent", team=team_east)
        for name in ("li", "wu", "sun")
    }
    return made


def _load(user, n):
    for i in range(n):
        CallbackTask.objects.create(
            customer=customer(f"负载{user.username}{i}"), purpose="retention", priority="low",
            priority_rank=3, method="phone", due_at=at("2026-10-01"), plan_date=date(2026, 9, 1),
            assignee=user, team=user.team,
        )  # fmt: skip


def test_owner_first_then_least_loaded_agent_of_the_team(agents, team_east):
    only("wakeup")
    li, wu, sun = agents["li"], agents["wu"], agents["sun"]
    _load(wu, 2)
    _load(sun, 1)
    owned = customer("有负责人", owner=li, team=team_east, lifecycle="dormant", tier="B")
    others = [
        customer(f"无负责人{n}", team=team_east, lifecycle="dormant", tier="B") for n in range(3)
    ]
    got = created(plan(D))
    assert got[owned.external_id]["assignee"] == "li"
    # after the owned one, loads li 1, wu 2, sun 1: li (tie → lower id), sun, then all at 2: li
    assert [got[c.external_id]["assignee"] for c in others] == ["li", "sun", "li"]


def test_owner_over_capacity_gives_way_except_for_a_core_customer(agents, team_east):
    only("wakeup")
    li = agents["li"]
    AgentProfile.objects.create(user=li, capacity=1)
    _load(li, 1)
    regular = customer("普通", owner=li, team=team_east, lifecycle="dormant", tier="B")
    core = customer("核心", owner=li, team=team_east, lifecycle="dormant", tier="A")
    got = created(plan(D))
    assert got[core.external_id]["assignee"] == "li"  # dedicated advisor, even over capacity
    assert got[regular.external_id]["assignee"] == "wu"


def test_region_and_capacity_full_team_goes_to_the_pool(agents, team_east):
    only("wakeup")
    for name, regions in (("li", ["上海"]), ("wu", ["江苏"]), ("sun", ["江苏"])):
        AgentProfile.objects.create(user=agents[name], regions=regions, capacity=1)
    sh = [
        customer(f"上海{n}", team=team_east, region="上海", lifecycle="dormant", tier="B")
        for n in range(2)
    ]
    got = created(plan(D))
    assert [got[c.external_id]["assignee"] for c in sh] == ["li", None]
    pooled = task_of(sh[1], "wakeup")
    assert (pooled.assignee_id, pooled.team_id) == (None, team_east.pk)


def test_pool_strategy_and_inactive_owner(agents, team_east):
    only("wakeup", "churn_rescue")
    CareRule.objects.filter(purpose="churn_rescue").update(assignment="pool")
    li = agents["li"]
    li.is_active = False
    li.save()
    a = customer("挽回", owner=agents["wu"], team=team_east, lifecycle="churn_warning", tier="B")
    b = customer("停用负责人", owner=li, team=team_east, lifecycle="dormant", tier="B")
    got = created(plan(D))
    assert got[a.external_id]["assignee"] is None
    assert got[b.external_id]["assignee"] == "wu"  # li inactive; wu and sun tie → lower id


# --- audience ---------------------------------------------------------------------------------


def test_a_rule_with_an_audience_plans_only_that_segment(team_east):
    from careloop.segments.models import SavedSegment

    only("wakeup")
    shanghai = SavedSegment.objects.create(name="上海客户", filters={"region": "上海"})
    CareRule.objects.filter(purpose="wakeup").update(audience=shanghai)
    inside = customer("上海", region="上海", lifecycle="dormant", tier="B")
    customer("江苏", region="江苏", lifecycle="dormant", tier="B")
    assert set(created(plan(D))) == {inside.external_id}


def test_announcement_once_per_customer_and_rule_version(supervisor_zhao):
    from careloop.care.services import care_rule_update
    from careloop.segments.models import SavedSegment

    only()
    vip = SavedSegment.objects.create(name="A 类", filters={"tier": "A"})
    announcement = rule("announcement")
    assert plan(D, rules=[announcement], dry_run=True).created == []  # no audience: nobody
    announcement = care_rule_update(
        rule=announcement, user=supervisor_zhao, enabled=True, audience=vip,
        params={"message": "系统将于周六升级,期间暂停下单。"},
    )  # fmt: skip
    a = customer("贵宾", tier="A")
    customer("普通", tier="B")
    result = plan(D)
    assert set(created(result)) == {a.external_id}
    (message,) = result.to_json()["messages"]
    assert message["purpose"] == "announcement"
    assert plan(D + timedelta(days=1)).created == []  # told once per version
    care_rule_update(rule=announcement, user=supervisor_zhao, params={"message": "升级延期。"})
    again = plan(D + timedelta(days=2))  # the new version, but a marketing message 2 days ago
    assert suppressed(again) == {(a.external_id, "announcement"): "frequency_cap"}
    assert set(created(plan(D + timedelta(days=8)))) == {a.external_id}


def test_more_candidates_than_a_page_all_planned_once():
    """2,500 candidates: two pages (SQLite) or one cursor (PostgreSQL, with the in-run ANALYZE
    after 1,000 rows), then a re-run that finds them all planned."""
    only("wakeup", "retention")
    Customer.objects.bulk_create(
        Customer(
            name=f"批量{n}",
            external_id=f"B{n:05d}",
            lifecycle="dormant",
            tier="B",
            first_order_at=at("2025-12-01"),
            last_order_at=at("2026-05-01"),
        )
        for n in range(2500)
    )
    result = plan(D, collect=False)
    assert result.counts()["created"] == 2500
    assert result.counts()["by_reason"] == {"precedence": 2500}  # retention lost to wakeup
    assert (result.created, result.suppressed) == ([], [])  # counts only
    assert CallbackTask.objects.filter(purpose="wakeup", plan_date=D).count() == 2500
    assert PlanSuppression.objects.filter(purpose="retention").count() == 2500
    assert plan(D).counts()["created"] == 0


def test_round_robin_strategy_skips_the_owner_and_skills_are_honoured(agents, team_east):
    only("churn_rescue")
    CareRule.objects.filter(purpose="churn_rescue").update(
        assignment="team_round_robin", params={"cooldown_days": 30, "skill": "挽回"}
    )
    AgentProfile.objects.create(user=agents["sun"], skills=["挽回", "上门"])
    owned = customer("有负责人", owner=agents["li"], team=team_east, lifecycle="churn_warning")
    other = customer("无负责人", team=team_east, lifecycle="churn_warning", tier="B")
    got = created(plan(D))
    assert got[owned.external_id]["assignee"] == "sun"  # not the owner: the only skilled agent
    assert got[other.external_id]["assignee"] == "sun"
