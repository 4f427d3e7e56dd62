"""Each default rule of DESIGN.md §3 at its edges, with hand-made customers."""

from datetime import date

import pytest

from careloop.care.models import CallbackTask
from careloop.care.tests.helpers import created, customer, only, plan, suppressed, task_of
from careloop.customers.tests.factories import at, make_complaint, make_contact

pytestmark = pytest.mark.django_db

D = date(2026, 9, 15)  # a Tuesday


def test_churn_rescue_visit_for_tier_a_in_two_working_days_phone_otherwise():
    only("churn_rescue")
    a = customer("甲", lifecycle="churn_warning", tier="A", r_days=20)
    b = customer("乙", lifecycle="churn_warning", tier="B", r_days=20)
    customer("丙", lifecycle="active", tier="A")
    result = plan(date(2026, 6, 5))  # Friday: two working days is Tuesday
    got = created(result)
    assert set(got) == {a.external_id, b.external_id}
    assert got[a.external_id]["method"] == "visit"
    assert got[a.external_id]["priority"] == "high"
    assert got[a.external_id]["due_at"] == "2026-06-09T18:00:00+08:00"
    assert got[b.external_id]["method"] == "phone"
    assert got[b.external_id]["due_at"] == "2026-06-07T18:00:00+08:00"
    assert (
        got[b.external_id]["reason"]
        == "流失预警:近期消费明显下降或投诉久未解决,最近一次下单在 20 天前"
    )


def test_activation_first_order_between_d_minus_15_and_d_minus_7():
    only("activation")
    inside = [
        customer(f"激活{n}", first_order_at=f"2026-09-{d:02d} 10:00") for n, d in ((1, 1), (2, 8))
    ]
    customer("太新", first_order_at="2026-09-09 10:00")  # D−6
    customer("太早", first_order_at="2026-08-30 23:00")  # D−16
    got = created(plan(D))
    assert set(got) == {c.external_id for c in inside}
    first = got[inside[0].external_id]
    assert (first["priority"], first["method"]) == ("medium", "phone")
    assert first["due_at"] == "2026-09-16T18:00:00+08:00"  # first order + 15 days
    assert first["reason"] == "新客户:首单于 2026-09-01"


def test_activation_welcome_message_the_day_after_the_first_order():
    only("activation")
    new = customer("新客", first_order_at="2026-09-14 20:00")
    result = plan(D)
    assert result.created == []
    (message,) = result.to_json()["messages"]
    assert message["customer_external_id"] == new.external_id
    assert (message["purpose"], message["status"]) == ("welcome", "scheduled")
    assert message["send_at"] == "2026-09-15T10:00:00+08:00"


def test_wakeup_phone_for_a_and_b_message_for_c_not_twice_in_60_days():
    only("wakeup")
    a = customer("甲", lifecycle="dormant", tier="A", r_days=100)
    c = customer("丙", lifecycle="dormant", tier="C", r_days=100)
    woken = customer("醒过", lifecycle="dormant", tier="B")
    long_ago = customer("很久前", lifecycle="dormant", tier="B")
    for who, day in ((woken, date(2026, 7, 20)), (long_ago, date(2026, 7, 16))):
        CallbackTask.objects.create(
            customer=who, purpose="wakeup", priority="medium", priority_rank=2, method="phone",
            due_at=at("2026-08-01"), plan_date=day, status="done",
        )  # fmt: skip
    result = plan(D)
    got = created(result)
    assert set(got) == {a.external_id, c.external_id, long_ago.external_id}
    assert got[a.external_id]["method"] == "phone"
    assert got[a.external_id]["due_at"] == "2026-09-30T18:00:00+08:00"  # medium: 15 days
    assert got[c.external_id]["method"] == "sms"
    assert task_of(c, "wakeup").status == "done"  # the message is the care; no call to make
    assert task_of(a, "wakeup").status == "open"
    (message,) = result.to_json()["messages"]
    assert (message["customer_external_id"], message["channel"]) == (c.external_id, "sms")
    assert got[a.external_id]["reason"] == "沉睡客户:最近一次下单在 100 天前"


def test_retention_by_tier_and_not_after_a_recent_callback():
    only("retention")
    base = {"first_order_at": "2026-01-10 10:00", "last_order_at": "2026-08-01 10:00"}
    a = customer("甲", tier="A", **base)
    b = customer("乙", tier="B", **base)
    c = customer("丙", tier="C", **base)
    called = customer("回访过", tier="B", **base)
    make_contact(called, kind="callback", when="2026-07-01")
    done = customer("任务完成", tier="B", **base)
    CallbackTask.objects.create(
        customer=done, purpose="churn_rescue", priority="high", priority_rank=1, method="phone",
        due_at=at("2026-08-01"), plan_date=date(2026, 7, 30), status="done",
        closed_at=at("2026-08-01"),
    )  # fmt: skip
    customer("太新", tier="A", first_order_at="2026-06-18 10:00", last_order_at="2026-08-01")
    customer("一年未买", tier="", first_order_at="2025-01-01", last_order_at="2025-09-15 10:00")
    got = created(plan(D))
    assert set(got) == {a.external_id, b.external_id, c.external_id}
    assert (got[a.external_id]["priority"], got[a.external_id]["method"]) == ("high", "visit")
    assert (got[b.external_id]["priority"], got[b.external_id]["method"]) == ("medium", "phone")
    assert (got[c.external_id]["priority"], got[c.external_id]["method"]) == ("low", "survey")
    # 7 working days: Sunday 20 September 2026 is a make-up working day (调休) for 国庆
    assert got[a.external_id]["due_at"] == "2026-09-23T18:00:00+08:00"
    assert got[c.external_id]["due_at"] == "2026-10-15T18:00:00+08:00"  # low: 30 days


def test_retention_a_message_is_not_a_callback():
    only("retention")
    base = {"first_order_at": "2026-01-10 10:00", "last_order_at": "2026-08-01 10:00"}
    texted = customer("短信过", tier="C", **base)
    CallbackTask.objects.create(
        customer=texted, purpose="wakeup", priority="medium", priority_rank=2, method="sms",
        due_at=at("2026-08-01"), plan_date=date(2026, 7, 30), status="done",
        closed_at=at("2026-07-30"),
    )  # fmt: skip
    assert set(created(plan(D))) == {texted.external_id}


def test_retention_first_order_exactly_90_days_ago_counts():
    only("retention")
    edge = customer(
        "九十天", tier="B", first_order_at="2026-06-17 23:00", last_order_at="2026-09-01"
    )
    customer("八十九天", tier="B", first_order_at="2026-06-18 00:30", last_order_at="2026-09-01")
    assert set(created(plan(D))) == {edge.external_id}


def test_birthday_within_seven_days_across_the_year_end():
    only("birthday")
    soon = customer("元旦后", birthday=date(1990, 1, 3), tier="B")
    today = customer("今天", birthday=date(1985, 12, 28), tier="C")
    customer("八天后", birthday=date(1990, 1, 5), tier="B")
    vip = customer("贵宾", birthday=date(1980, 1, 4), tier="A")
    result = plan(date(2026, 12, 28))
    got = created(result)
    assert set(got) == {soon.external_id, today.external_id, vip.external_id}
    assert got[soon.external_id]["method"] == "sms"
    assert got[soon.external_id]["due_at"] == "2027-01-03T18:00:00+08:00"
    assert got[soon.external_id]["reason"] == "1月3日生日"
    assert got[vip.external_id]["method"] == "phone"  # tier A: a call as well as the message
    messages = {m["customer_external_id"]: m for m in result.to_json()["messages"]}
    assert messages[vip.external_id]["send_at"] == "2027-01-04T10:00:00+08:00"
    assert len(messages) == 3


def test_birthday_on_29_february_is_celebrated_on_the_28th():
    only("birthday")
    leap = customer("闰日", birthday=date(2000, 2, 29), tier="C")
    got = created(plan(date(2027, 2, 21)))
    assert got[leap.external_id]["due_at"] == "2027-02-28T18:00:00+08:00"
    assert created(plan(date(2027, 2, 20))) == {}  # 8 days before


def test_holiday_seven_days_before_mid_autumn_to_recent_buyers():
    only("holiday")
    buyer = customer("买过", tier="B", last_order_at="2026-03-01 10:00")
    customer("没买", tier="B", last_order_at="2025-09-01 10:00")
    assert created(plan(date(2026, 9, 17))) == {}  # 中秋 2026-09-25 is 8 days away
    got = created(plan(date(2026, 9, 18)))
    assert set(got) == {buyer.external_id}
    assert got[buyer.external_id]["method"] == "sms"
    assert got[buyer.external_id]["reason"] == "中秋节(2026-09-25)前的节日问候"
    assert got[buyer.external_id]["due_at"] == "2026-09-24T18:00:00+08:00"


def test_holiday_visit_for_tier_a_before_spring_festival():
    from careloop.workcal.services import is_working_day

    only("holiday")
    vip = customer("贵宾", tier="A", last_order_at="2026-12-01 10:00")
    other = customer("普通", tier="C", last_order_at="2026-12-01 10:00")
    got = created(plan(date(2027, 1, 30)))  # 春节 2027-02-06
    assert got[vip.external_id]["method"] == "visit"
    assert got[other.external_id]["method"] == "sms"
    due = date.fromisoformat(got[vip.external_id]["due_at"][:10])
    assert due < date(2027, 2, 6) and is_working_day(due)
    assert got[vip.external_id]["reason"] == "春节(2027-02-06)前的节日问候"


def test_complaint_followup_due_24_hours_after_intake_with_an_apology():
    only("complaint_followup")
    c = customer("投诉人", do_not_contact=True)  # service care: do-not-contact does not stop it
    complaint = make_complaint(c, when="2026-09-15 10:00", external_id="TS-1")
    result = plan(D)
    got = created(result)
    assert got[c.external_id]["due_at"] == "2026-09-16T10:00:00+08:00"
    assert (got[c.external_id]["priority"], got[c.external_id]["method"]) == ("high", "phone")
    assert got[c.external_id]["reason"] == "投诉 TS-1 于 2026-09-15 10:00 受理,尚未跟进(物流延误)"
    task = task_of(c, "complaint_followup")
    assert (task.source_type, task.source_id) == ("complaint", complaint.pk)
    (apology,) = result.to_json()["messages"]
    assert (apology["purpose"], apology["status"]) == ("complaint_apology", "scheduled")
    assert plan(D).created == []  # once per complaint


def test_complaint_followup_names_the_ticket_number_when_it_has_one():
    only("complaint_followup")
    c = customer("投诉人")
    make_complaint(c, when="2026-09-15 10:00", number="TS20260915-0003")
    (entry,) = plan(D).to_json()["created"]
    assert entry["reason"].startswith("投诉 TS20260915-0003 于 2026-09-15 10:00 受理")


def test_resolution_check_after_the_complaint_is_resolved():
    only("resolution_check", "complaint_followup")
    c = customer("投诉人")
    make_complaint(
        c, when="2026-09-10 09:00", status="resolved", resolved_at=at("2026-09-15 11:00")
    )
    make_complaint(
        c, when="2026-06-01", status="resolved", resolved_at=at("2026-06-03 11:00")
    )  # long closed: no check now
    got = created(plan(D))
    assert got[c.external_id]["purpose"] == "resolution_check"
    assert got[c.external_id]["due_at"] == "2026-09-16T11:00:00+08:00"


def test_resolution_check_seen_late_is_due_48_hours_after_resolution():
    only("resolution_check")
    c = customer("投诉人")
    make_complaint(c, status="resolved", resolved_at=at("2026-09-14 09:00"))
    got = created(plan(D))  # the plan sees it at the end of the 15th: +24 h has passed
    assert got[c.external_id]["due_at"] == "2026-09-16T09:00:00+08:00"


def test_emotion_care_for_a_high_risk_contact_in_the_last_seven_days():
    only("emotion_care")
    angry = customer("高风险")
    make_contact(angry, when="2026-09-14 16:30", high_risk=True, emotion_cues="12315")
    old = customer("八天前")
    make_contact(old, when="2026-09-08 16:30", high_risk=True)
    calm = customer("只是生气")
    make_contact(calm, when="2026-09-14 16:30", high_risk=False, emotion="angry")
    got = created(plan(D))
    assert set(got) == {angry.external_id}
    assert got[angry.external_id]["due_at"] == "2026-09-15T16:30:00+08:00"
    assert got[angry.external_id]["reason"] == "2026-09-14 16:30 的接触被识别为高风险(12315)"


def test_detractor_followup_nps_6_or_less_or_csat_2_or_less():
    only("detractor_followup")
    nps6 = customer("六分")
    make_contact(nps6, kind="survey", when="2026-09-13 12:00", nps=6)
    csat2 = customer("两分")
    make_contact(csat2, kind="survey", when="2026-09-15 08:00", csat=2)
    for name, score in (("七分", {"nps": 7}), ("三分", {"csat": 3})):
        make_contact(customer(name), kind="survey", when="2026-09-14 12:00", **score)
    got = created(plan(D))
    assert set(got) == {nps6.external_id, csat2.external_id}
    assert got[nps6.external_id]["due_at"] == "2026-09-15T12:00:00+08:00"  # + 48 h
    assert got[nps6.external_id]["reason"] == "2026-09-13 12:00 的评价偏低(NPS 6)"


def test_event_contact_already_followed_up_makes_no_second_task():
    only("detractor_followup")
    c = customer("差评")
    make_contact(c, kind="survey", when="2026-09-13 12:00", nps=2)
    assert len(plan(D).created) == 1
    CallbackTask.objects.update(status="done")
    assert plan(date(2026, 9, 16)).created == []
    assert suppressed(plan(date(2026, 9, 16))) == {}
