"""The CLI, the API and the jobs: thin doors over the planner and the services."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from careloop.accounts.tests.apiclient import api_as
from careloop.care import tasks as jobs
from careloop.care.models import CallbackTask, PlanRun
from careloop.care.tests.helpers import customer, only
from careloop.cli import main
from careloop.core import clock
from careloop.customers.tests.factories import at, make_complaint

pytestmark = pytest.mark.django_db


def test_cli_json_is_one_document_in_the_design_shape():
    only("wakeup", "birthday")
    c = customer("沉睡", lifecycle="dormant", tier="A", birthday=date(1990, 9, 16))
    out = StringIO()
    call_command("plan", "--as-of", "2026-09-15", "--dry-run", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert set(body) == {"as_of", "created", "suppressed", "messages"}
    assert body["as_of"] == "2026-09-15"
    assert body["created"] == [
        {
            "customer_external_id": c.external_id,
            "purpose": "wakeup",
            "priority": "medium",
            "method": "phone",
            "due_at": "2026-09-30T18:00:00+08:00",
            "assignee": None,
            "reason": "沉睡客户",
        }
    ]
    assert body["suppressed"] == [
        {
            "customer_external_id": c.external_id,
            "purpose": "birthday",
            "reason_code": "precedence",
            "reason": "今天已安排更优先的关怀:沉睡唤醒",
        }
    ]
    assert not CallbackTask.objects.exists()


def test_cli_bad_date_exits_non_zero_naming_the_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["careloop", "plan", "--as-of", "2026-13-01", "--json"])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--as-of" in captured.err and "2026-13-01" in captured.err


def test_cli_summary_in_chinese():
    only("wakeup")
    customer("沉睡", lifecycle="dormant", tier="B")
    out = StringIO()
    call_command("plan", "--as-of", "2026-09-15", stdout=out)
    text = out.getvalue()
    assert "关怀计划 2026-09-15 已写入:创建任务 1 个,抑制 0 个" in text
    assert "沉睡唤醒:创建 1,抑制 0" in text
    assert CallbackTask.objects.count() == 1


def test_events_job_records_no_run_when_nothing_happened():
    only("complaint_followup")
    jobs.plan_events_job.call_local()
    assert not PlanRun.objects.exists()


def test_events_job_runs_only_the_event_rules_for_today():
    only("complaint_followup", "wakeup")
    c = customer("今天投诉", lifecycle="dormant", tier="B")
    make_complaint(c, when=f"{clock.local(clock.now()) - timedelta(minutes=5):%Y-%m-%d %H:%M}")
    jobs.plan_events_job.call_local()
    assert list(CallbackTask.objects.values_list("purpose", flat=True)) == ["complaint_followup"]
    run = PlanRun.objects.get()
    assert (run.trigger, run.as_of, run.purposes) == ("event", clock.today(), jobs.event_purposes())
    assert set(jobs.event_purposes()) == {
        "complaint_followup", "resolution_check", "emotion_care", "detractor_followup",
    }  # fmt: skip


def test_nightly_job_plans_every_enabled_rule_for_today():
    only("wakeup")
    customer("沉睡", lifecycle="dormant", tier="B")
    jobs.plan_nightly_job.call_local()
    run = PlanRun.objects.get()
    assert (run.trigger, run.counts["created"], run.counts["by_purpose"]) == (
        "nightly",
        1,
        {"wakeup": {"created": 1, "suppressed": 0}},
    )
    assert CallbackTask.objects.get().plan_date == clock.today()


def test_overdue_job(supervisor_zhao, team_east):
    c = customer("逾期", team=team_east)
    CallbackTask.objects.create(
        customer=c, purpose="wakeup", priority="medium", priority_rank=2, method="phone",
        due_at=at("2026-01-01"), plan_date=date(2025, 12, 20), team=team_east,
    )  # fmt: skip
    jobs.tasks_overdue_job.call_local()
    assert CallbackTask.objects.get().escalated_to == supervisor_zhao


# --- API -------------------------------------------------------------------------------------


@pytest.fixture
def tasks(team_east, team_south, agent_li, agent_chen):
    def make(name, team, phone=None, **fields):
        phone = {"phone": phone} if phone else {}
        return CallbackTask.objects.create(
            customer=customer(name, team=team, **phone), purpose="wakeup", priority="medium",
            priority_rank=2, method="phone", due_at=at("2026-09-30"),
            plan_date=date(2026, 9, 15), team=team, reason="沉睡客户", **fields,
        )  # fmt: skip

    return {
        "mine": make("张三", team_east, phone="13812345678", assignee=agent_li),
        "pool": make("李四", team_east),
        "south": make("王五", team_south, assignee=agent_chen),
    }


def test_api_tasks_scoped_by_role(tasks, admin_wang, supervisor_zhao, agent_li, agent_chen):
    def names(user, **query):
        response = api_as(user).get("/tasks", query)
        assert response.status_code == 200, response.content
        return sorted(t["customer"]["name"] for t in response.json()["items"])

    assert names(admin_wang) == ["张三", "李四", "王五"]
    assert names(supervisor_zhao) == ["张三", "李四"]
    assert names(agent_li) == ["张三", "李四"]  # own + the team pool
    assert names(agent_chen) == ["王五"]
    assert names(supervisor_zhao, assignee="-") == ["李四"]
    assert names(admin_wang, status="open_any", purpose="wakeup") == ["张三", "李四", "王五"]


def test_api_task_detail_masks_the_phone_and_hides_other_teams(tasks, agent_li):
    client = api_as(agent_li)
    body = client.get(f"/tasks/{tasks['mine'].pk}").json()
    assert body["customer"]["phone"] == "138****5678"
    assert (body["purpose"], body["purpose_label"], body["assignee"]) == (
        "wakeup",
        "沉睡唤醒",
        "li",
    )
    assert body["due_at"] == "2026-09-30T00:00:00+08:00"
    missing = client.get(f"/tasks/{tasks['south'].pk}")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_api_task_list_query_count(tasks, admin_wang, django_assert_num_queries):
    client = api_as(admin_wang)
    client.get("/tasks")  # warm the token path
    with django_assert_num_queries(3):  # token, count, page (customer, assignee, team joined)
        response = client.get("/tasks")
    assert response.json()["count"] == 3


def test_api_plan_run_for_supervisors_returns_the_plan_json(supervisor_zhao, agent_li):
    only("wakeup")
    customer("沉睡", lifecycle="dormant", tier="B")
    client = api_as(supervisor_zhao)
    dry = client.post("/plan/run", {"as_of": "2026-09-15", "dry_run": True})
    assert dry.status_code == 200, dry.content
    assert set(dry.json()) == {"as_of", "created", "suppressed", "messages"}
    assert len(dry.json()["created"]) == 1 and not CallbackTask.objects.exists()
    real = client.post("/plan/run", {"as_of": "2026-09-15"})
    assert real.json()["created"] == dry.json()["created"]
    assert PlanRun.objects.get().user == supervisor_zhao
    refused = api_as(agent_li).post("/plan/run", {"as_of": "2026-09-15"})
    assert refused.status_code == 403
    bad = client.post("/plan/run", {"as_of": "2026-02-30"})
    assert bad.status_code == 422 and bad.json()["field"] == "as_of"


def test_api_reassign(tasks, supervisor_zhao, agent_li):
    response = api_as(supervisor_zhao).post(
        "/tasks/reassign", {"task_ids": [tasks["pool"].pk], "assignee": "li"}
    )
    assert response.json() == {"count": 1}
    refused = api_as(supervisor_zhao).post(
        "/tasks/reassign", {"task_ids": [tasks["south"].pk], "assignee": "li"}
    )
    assert refused.status_code == 404 and refused.json()["field"] == "tasks"


def test_api_rules(agent_li):
    body = api_as(agent_li).get("/care/rules").json()
    assert [r["purpose"] for r in body][:3] == [
        "complaint_followup",
        "resolution_check",
        "churn_rescue",
    ]
    wakeup = next(r for r in body if r["purpose"] == "wakeup")
    assert (wakeup["purpose_label"], wakeup["holdout_share"], wakeup["version"]) == (
        "沉睡唤醒",
        "0.050",
        1,
    )
