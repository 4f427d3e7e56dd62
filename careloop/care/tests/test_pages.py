"""The care pages: rules (edit, live preview, history), the plan of a day, suppressions, the task
list with bulk reassignment, agent settings and the 360 "今日关怀" panel. What users see, role
scope, pinned query counts and audits."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditLog
from careloop.accounts.services import user_create
from careloop.care.models import AgentProfile, CallbackTask, CareRule, CareRuleVersion, PlanRun
from careloop.care.page_selectors import holdout_pct
from careloop.care.planner import plan_day
from careloop.care.services import care_rule_update
from careloop.care.tests.helpers import customer, only, rule
from careloop.core import clock

pytestmark = pytest.mark.django_db
PW = "careloop-test-pw"


def dormant(name, team, tier="B", **fields):
    fields.setdefault("phone", None)
    kwargs = {"lifecycle": "dormant", "tier": tier, "r_days": 120, **fields}
    if kwargs["phone"] is None:
        kwargs.pop("phone")
    return customer(name, team=team, **kwargs)


def make_task(c, *, purpose="wakeup", assignee=None, due_in=timedelta(days=3), **fields):
    fields.setdefault("status", CallbackTask.Status.OPEN)
    return CallbackTask.objects.create(
        customer=c,
        purpose=purpose,
        priority=fields.pop("priority", "medium"),
        priority_rank=2,
        method="phone",
        due_at=clock.now() + due_in,
        assignee=assignee,
        team=c.team,
        plan_date=fields.pop("plan_date", clock.today()),
        reason=fields.pop("reason", "沉睡客户:最近一次下单在 120 天前"),
        **fields,
    )


@pytest.fixture
def agent_zhou(team_east):
    return user_create(
        username="zhou", password=PW, role="agent", team=team_east, display_name="周客服"
    )


# --- rules -----------------------------------------------------------------------------------


def test_rules_page_lists_every_rule_in_words(client, supervisor_zhao):
    client.force_login(supervisor_zhao)
    response = client.get(reverse("care:rules"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="rule-row"') == 11
    assert "沉睡唤醒" in html and "投诉跟进" in html and "升级通知" in html
    assert "生命周期为沉睡,且 60 天内没有唤醒" in html
    assert "时间窗口(天):60" in html
    wakeup = html[html.index('data-purpose="wakeup"') :]
    wakeup = wakeup[: wakeup.index("</tr>")]
    assert "<b>A</b> 电话" in wakeup and "<b>C</b> 短信" in wakeup
    assert "5%" in wakeup and "v1" in wakeup and "启用" in wakeup
    # Precedence order: complaint follow-up first, announcement last.
    assert html.index('data-purpose="complaint_followup"') < html.index('data-purpose="wakeup"')
    assert html.index('data-purpose="holiday"') < html.index('data-purpose="announcement"')


def test_rules_pages_refuse_agents(client, agent_li):
    client.force_login(agent_li)
    wakeup = rule("wakeup")
    for url in (
        reverse("care:rules"),
        reverse("care:rule_edit", args=[wakeup.pk]),
        reverse("care:rule_history", args=[wakeup.pk]),
        reverse("care:plan"),
        reverse("care:agents"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("care:rule_preview", args=[wakeup.pk])).status_code == 403
    assert client.post(reverse("care:plan_run")).status_code == 403


def test_rules_page_query_count(client, supervisor_zhao, django_assert_num_queries):
    client.force_login(supervisor_zhao)
    # session, user, rules (with audience and editor), team (base.html)
    with django_assert_num_queries(4):
        client.get(reverse("care:rules"))


def rule_post(r: CareRule, **changes) -> dict:
    """The edit form's fields for rule `r` as it is, with `changes`."""
    data = {
        "name": r.name,
        "priority": r.priority,
        "due_days": r.due_days or "",
        "due_hours": r.due_hours or "",
        "audience": r.audience_id or "",
        "script_template": r.script_template,
        "assignment": r.assignment,
        "version": r.version,
        "holdout_pct": holdout_pct(r.holdout_share).rstrip("%"),
    }
    if r.enabled:
        data["enabled"] = "on"
    for tier, chosen in (r.methods or {}).items():
        data[f"methods_{tier}"] = [chosen] if isinstance(chosen, str) else chosen
    for key, value in (r.params or {}).items():
        if isinstance(value, bool):
            if value:
                data[f"param_{key}"] = "on"
        elif isinstance(value, dict | list):
            data[f"param_{key}"] = json.dumps(value, ensure_ascii=False)
        else:
            data[f"param_{key}"] = value
    data.update(changes)
    return data


def test_edit_form_shows_every_field(client, supervisor_zhao):
    client.force_login(supervisor_zhao)
    html = client.get(reverse("care:rule_edit", args=[rule("wakeup").pk])).content.decode()
    for label in (
        "规则名称",
        "优先级",
        "到期天数",
        "目标分群",
        "话术模板",
        "分配方式",
        "对照组比例(%)",
        "A 类",
        "无等级",
        "时间窗口(天)",
        "保存规则",
        "全部客户(不限分群)",
    ):
        assert label in html, label
    assert 'name="holdout_pct" value="5"' in html


def test_saving_bumps_the_version_audits_and_shows_the_diff(client, supervisor_zhao):
    wakeup = rule("wakeup")
    client.force_login(supervisor_zhao)
    response = client.post(
        reverse("care:rule_edit", args=[wakeup.pk]),
        rule_post(wakeup, holdout_pct="10", due_days="10"),
    )
    assert response.status_code == 302
    wakeup.refresh_from_db()
    assert (wakeup.version, str(wakeup.holdout_share), wakeup.due_days) == (2, "0.100", 10)
    assert wakeup.updated_by == supervisor_zhao
    assert CareRuleVersion.objects.filter(rule=wakeup).count() == 2
    entry = AuditLog.objects.get(action="care_rule.update")
    assert entry.actor == supervisor_zhao
    assert entry.detail["changes"]["holdout_share"] == ["0.050", "0.100"]
    html = client.get(response["Location"]).content.decode()
    assert "已保存" in html and "当前为第 2 版" in html
    assert html.count('class="version-row"') == 2
    assert "第 2 版" in html and "赵主管" in html
    assert "<b>对照组比例</b>:<del>5%</del> → <ins>10%</ins>" in html
    assert "<b>到期天数</b>:<del>—</del> → <ins>10</ins>" in html
    assert "初始版本(默认规则)" in html


def test_history_is_paged_and_costs_the_same_queries(
    client, supervisor_zhao, django_assert_num_queries
):
    wakeup = rule("wakeup")
    for days in range(1, 35):
        wakeup = care_rule_update(rule=wakeup, user=supervisor_zhao, due_days=days)
    client.force_login(supervisor_zhao)
    # session, user, rule, versions, team (base.html); segment names only when one is named
    with django_assert_num_queries(5):
        response = client.get(reverse("care:rule_history", args=[wakeup.pk]))
    html = response.content.decode()
    assert html.count('class="version-row"') == 30
    assert "共 35 个版本 · 第 1 / 2 页" in html and "第 35 版" in html
    assert "<b>到期天数</b>:<del>33</del> → <ins>34</ins>" in html
    older = client.get(reverse("care:rule_history", args=[wakeup.pk]), {"page": 2})
    assert older.content.decode().count('class="version-row"') == 5


def test_unchanged_save_keeps_the_version(client, supervisor_zhao):
    wakeup = rule("wakeup")
    client.force_login(supervisor_zhao)
    client.post(reverse("care:rule_edit", args=[wakeup.pk]), rule_post(wakeup))
    wakeup.refresh_from_db()
    assert wakeup.version == 1
    assert not AuditLog.objects.filter(action="care_rule.update").exists()


def test_bad_input_names_the_field_and_saves_nothing(client, supervisor_zhao):
    wakeup = rule("wakeup")
    client.force_login(supervisor_zhao)
    url = reverse("care:rule_edit", args=[wakeup.pk])
    html = client.post(url, rule_post(wakeup, holdout_pct="60")).content.decode()
    assert "确保该值小于或等于50" in html or "小于或等于 50" in html
    html = client.post(url, rule_post(wakeup, name="")).content.decode()
    assert "这个字段是必填项" in html
    html = client.post(url, rule_post(wakeup, param_window_days="abc")).content.decode()
    assert "输入整数" in html
    wakeup.refresh_from_db()
    assert wakeup.version == 1
    assert CareRuleVersion.objects.filter(rule=wakeup).count() == 1


def test_a_save_over_a_newer_version_is_refused(client, supervisor_zhao, admin_wang):
    wakeup = rule("wakeup")
    opened = rule_post(wakeup, due_days="12")  # the form as zhao opened it (version 1)
    care_rule_update(rule=wakeup, user=admin_wang, due_days=20)
    client.force_login(supervisor_zhao)
    html = client.post(reverse("care:rule_edit", args=[wakeup.pk]), opened).content.decode()
    assert "该规则已被他人修改为第 2 版,请刷新页面后再修改" in html
    wakeup.refresh_from_db()
    assert (wakeup.version, wakeup.due_days) == (2, 20)


def test_complaint_rules_have_no_holdout_field_to_set(client, supervisor_zhao):
    followup = rule("complaint_followup")
    client.force_login(supervisor_zhao)
    html = client.get(reverse("care:rule_edit", args=[followup.pk])).content.decode()
    assert "投诉与风险类关怀不设对照组" in html
    # A disabled field keeps its value whatever is posted.
    client.post(
        reverse("care:rule_edit", args=[followup.pk]),
        rule_post(followup, holdout_pct="10", name="投诉跟进(新)"),
    )
    followup.refresh_from_db()
    assert (followup.version, followup.holdout_share, followup.name) == (2, 0, "投诉跟进(新)")


def test_supervisor_may_not_target_another_teams_segment(
    client, supervisor_zhao, team_south, admin_wang
):
    from careloop.segments.models import SavedSegment

    theirs = SavedSegment.objects.create(name="华南 A 类", team=team_south, filters={"tier": "A"})
    wakeup = rule("wakeup")
    client.force_login(supervisor_zhao)
    html = client.post(
        reverse("care:rule_edit", args=[wakeup.pk]), rule_post(wakeup, audience=theirs.pk)
    ).content.decode()
    assert "选择一个有效的选项" in html  # not even offered
    wakeup.refresh_from_db()
    assert wakeup.audience_id is None


def test_preview_counts_what_the_plan_then_creates(client, supervisor_zhao, team_east, team_south):
    only("wakeup")
    for i in range(4):
        dormant(f"华东{i}", team_east, phone=f"1381234{i:04d}")
    for i in range(2):
        dormant(f"华南{i}", team_south)
    customer("活跃客户", team=team_east, lifecycle="active")
    wakeup = rule("wakeup")
    client.force_login(supervisor_zhao)
    response = client.post(
        reverse("care:rule_preview", args=[wakeup.pk]),
        rule_post(wakeup, holdout_pct="0"),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "今天会为 6 位客户创建任务" in html
    assert "其中华东一组 4 位" in html
    # The sample is the user's scope (华东 only), phones masked.
    assert html.count('class="sample-row"') == 4
    assert "138****0000" in html and "13812340000" not in html
    assert "华南0" not in html
    # Nothing written by the preview; the rule is unchanged.
    assert CallbackTask.objects.count() == 0 and PlanRun.objects.count() == 0
    wakeup.refresh_from_db()
    assert wakeup.version == 1
    # Saved with the same values, the plan creates exactly the previewed count.
    client.post(reverse("care:rule_edit", args=[wakeup.pk]), rule_post(wakeup, holdout_pct="0"))
    result = plan_day(as_of=clock.today())
    assert len(result.created) == 6


def test_preview_sample_is_the_users_team_even_when_others_come_first(
    client, supervisor_zhao, team_east, team_south
):
    only("wakeup")
    for i in range(60):
        dormant(f"华南{i}", team_south)
    for i in range(2):
        dormant(f"华东{i}", team_east)
    wakeup = rule("wakeup")
    client.force_login(supervisor_zhao)
    html = client.post(
        reverse("care:rule_preview", args=[wakeup.pk]), rule_post(wakeup)
    ).content.decode()
    assert "今天会为 62 位客户创建任务" in html and "其中华东一组 2 位" in html
    assert html.count('class="sample-row"') == 2 and "华南" not in html


def test_preview_shows_form_errors_instead_of_a_count(client, supervisor_zhao):
    wakeup = rule("wakeup")
    client.force_login(supervisor_zhao)
    html = client.post(
        reverse("care:rule_preview", args=[wakeup.pk]), rule_post(wakeup, due_days="0")
    ).content.decode()
    assert "到期天数" in html and "今天会为" not in html


# --- the plan page ---------------------------------------------------------------------------


@pytest.fixture
def planned(team_east, team_south, agent_li, agent_chen):
    """Today's plan: 3 wakeups in 华东 (one of them held out), 1 in 华南, one do-not-contact."""
    only("wakeup")
    CareRule.objects.filter(purpose="wakeup").update(holdout_share="0.5")
    east = [dormant(f"东{i}", team_east) for i in range(6)]
    dormant("免打扰客户", team_east, do_not_contact=True)
    south = [dormant("南一", team_south)]
    result = plan_day(as_of=clock.today())
    return result, east, south


def test_plan_page_by_purpose_priority_team_and_suppressions(client, supervisor_zhao, planned):
    result, east, _south = planned
    created_east = sum(1 for t in result.created if t.team_id == east[0].team_id)
    held_east = sum(
        1
        for s in result.suppressed
        if s.reason_code == "holdout" and s.customer_id in {c.pk for c in east}
    )
    assert created_east + held_east == 6
    client.force_login(supervisor_zhao)
    html = client.get(reverse("care:plan")).content.decode()
    assert "今日计划" in html and "立即生成今日计划" in html
    assert f'data-testid="plan-total">{created_east}<' in html
    assert f'data-testid="plan-suppressed">{held_east + 1}<' in html
    row = html[html.index('data-purpose="wakeup"') :]
    row = row[: row.index("</tr>")]
    assert f"<b>{created_east}</b>" in row
    assert html.count('class="team-row"') == 1 and "华东一组" in html and "华南一组" not in html
    assert 'data-reason="holdout">对照组 <b>' + str(held_east) + "</b>" in html
    assert 'data-reason="do_not_contact">免打扰 <b>1</b>' in html
    assert html.count('class="suppression-row"') == held_east + 1
    assert "客户设置了免打扰" in html and "南一" not in html
    assert html.count('class="load-row"') == 1 and "李客服" in html  # own team's agents


def test_suppressions_filter_by_reason(client, supervisor_zhao, planned):
    client.force_login(supervisor_zhao)
    response = client.get(
        reverse("care:plan_suppressions"), {"reason_code": "do_not_contact"}, HTTP_HX_REQUEST="1"
    )
    html = response.content.decode()
    assert html.count('class="suppression-row"') == 1
    assert "免打扰客户" in html and "<h1>" not in html


def test_plan_page_for_another_day(client, admin_wang, planned):
    client.force_login(admin_wang)
    other = clock.today() - timedelta(days=3)
    html = client.get(reverse("care:plan"), {"date": other.isoformat()}).content.decode()
    assert f"{other:%Y-%m-%d} 的计划" in html
    assert 'data-testid="plan-total">0<' in html


def test_plan_page_query_count(client, supervisor_zhao, team_east, django_assert_num_queries):
    def count_queries(n):
        for i in range(n):
            make_task(dormant(f"客户{n}-{i}", team_east))
        client.force_login(supervisor_zhao)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("care:plan"))
        return len(ctx.captured_queries)

    few = count_queries(3)
    many = count_queries(27)
    # session, user, tasks by purpose × priority, suppressions by reason, by team, agent
    # loads, SLA counts, SLA tasks, latest run, suppression count, team (base.html)
    assert few == many == 11


def test_run_now_runs_the_plan_and_shows_the_result(client, supervisor_zhao, team_east):
    only("wakeup")
    CareRule.objects.filter(purpose="wakeup").update(holdout_share=0)
    for i in range(3):
        dormant(f"东{i}", team_east)
    client.force_login(supervisor_zhao)
    response = client.post(reverse("care:plan_run"), {"date": clock.today().isoformat()})
    assert response.status_code == 302
    assert CallbackTask.objects.count() == 3  # Huey runs inline in tests
    run = PlanRun.objects.get()
    assert (run.trigger, run.user) == ("manual", supervisor_zhao)
    page = client.get(response["Location"]).content.decode()
    assert "已开始生成" in page
    status = client.get(
        reverse("care:plan_status"), {"date": clock.today().isoformat(), "after": 0}
    ).content.decode()
    assert "计划已生成" in status and "新建 3 个任务" in status
    pending = client.get(
        reverse("care:plan_status"), {"date": clock.today().isoformat(), "after": run.pk}
    ).content.decode()
    assert "正在生成计划" in pending and "tries=1" in pending
    late = client.get(
        reverse("care:plan_status"),
        {"date": clock.today().isoformat(), "after": run.pk, "tries": 300},
    ).content.decode()
    assert "计划仍在后台生成" in late and "hx-get" not in late
    odd = client.get(reverse("care:plan_status"), {"after": "x", "tries": "y", "date": "bad"})
    assert odd.status_code == 200  # nonsense parameters fall back to today, from the start


# --- tasks -----------------------------------------------------------------------------------


def test_task_list_scoped_masked_and_flags_overdue(
    client, supervisor_zhao, agent_li, team_east, team_south
):
    mine = make_task(dormant("张三", team_east, phone="13812345678"), assignee=agent_li)
    late = make_task(dormant("李四", team_east), due_in=timedelta(hours=-3))
    CallbackTask.objects.filter(pk=late.pk).update(escalated_at=clock.now())
    make_task(dormant("王五", team_south))
    client.force_login(supervisor_zhao)
    html = client.get(reverse("care:tasks")).content.decode()
    assert html.count('class="task-row') == 2
    assert "王五" not in html
    assert "138****5678" in html and "13812345678" not in html
    late_row = html[html.index(f'data-task="{late.pk}"') :]
    late_row = late_row[: late_row.index("</tr>")]
    assert "逾期" in late_row and "已升级" in late_row and "华东一组任务池" in late_row
    mine_row = html[html.index(f'data-task="{mine.pk}"') :]
    assert "逾期" not in mine_row[: mine_row.index("</tr>")]
    assert "批量分配" in html and "共 2 个任务" in html


def test_task_list_filters(client, supervisor_zhao, agent_li, team_east):
    a = make_task(dormant("甲", team_east), assignee=agent_li)
    make_task(dormant("乙", team_east), purpose="retention", priority="high")
    make_task(dormant("丙", team_east), due_in=timedelta(hours=-1))
    make_task(dormant("丁", team_east), status=CallbackTask.Status.DONE)
    client.force_login(supervisor_zhao)
    url = reverse("care:tasks")

    def rows(**params):
        return client.get(url, params).content.decode().count('class="task-row')

    assert rows() == 4
    assert rows(purpose="retention") == 1
    assert rows(priority="high") == 1
    assert rows(assignee="li") == 1
    assert rows(assignee="-") == 3
    assert rows(overdue="yes") == 1
    assert rows(status="open") == 3
    assert rows(status="done") == 1
    assert rows(due_on=clock.local(a.due_at).date().isoformat()) == 3  # 甲, 乙 and 丁
    assert rows(purpose="nonsense") == 4  # an unknown value filters nothing


def test_agent_sees_own_and_pool_without_bulk_tools(client, agent_li, agent_zhou, team_east):
    make_task(dormant("甲", team_east), assignee=agent_li)
    make_task(dormant("乙", team_east))
    make_task(dormant("丙", team_east), assignee=agent_zhou)
    client.force_login(agent_li)
    html = client.get(reverse("care:tasks")).content.decode()
    assert html.count('class="task-row') == 2 and "丙" not in html
    assert "批量分配" not in html
    assert client.post(reverse("care:task_reassign"), {}).status_code == 403


def test_task_list_query_count(
    client, supervisor_zhao, agent_li, team_east, django_assert_num_queries
):
    for i in range(30):
        make_task(dormant(f"客户{i}", team_east), assignee=agent_li if i % 2 else None)
    client.force_login(supervisor_zhao)
    # session, user, agents (filter + reassign), count, page (customer, assignee, team),
    # team (base.html)
    with django_assert_num_queries(6):
        response = client.get(reverse("care:tasks"))
    assert response.content.decode().count('class="task-row') == 25
    assert "共 30 个任务 · 第 1 / 2 页" in response.content.decode()


def test_task_list_query_count_is_the_same_for_three(
    client, supervisor_zhao, team_east, django_assert_num_queries
):
    for i in range(3):
        make_task(dormant(f"客户{i}", team_east))
    client.force_login(supervisor_zhao)
    with django_assert_num_queries(6):
        client.get(reverse("care:tasks"))


def test_bulk_reassign_to_an_agent_and_back_to_the_pool(
    client, supervisor_zhao, agent_li, agent_zhou, team_east
):
    tasks = [make_task(dormant(f"客户{i}", team_east), assignee=agent_li) for i in range(3)]
    client.force_login(supervisor_zhao)
    response = client.post(
        reverse("care:task_reassign"),
        {"tasks": [tasks[0].pk, tasks[1].pk], "assignee": agent_zhou.pk, "back": "status=open"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?status=open")
    assert list(CallbackTask.objects.filter(assignee=agent_zhou).order_by("pk")) == tasks[:2]
    audits = AuditLog.objects.filter(action="callback_task.reassign")
    assert audits.count() == 2
    assert {a.detail["to"] for a in audits} == {"zhou"}
    assert {a.actor_id for a in audits} == {supervisor_zhao.pk}
    html = client.get(response["Location"]).content.decode()
    assert "已将 2 个任务分配给 周客服" in html
    client.post(reverse("care:task_reassign"), {"tasks": [tasks[0].pk], "assignee": "pool"})
    tasks[0].refresh_from_db()
    assert tasks[0].assignee is None


def test_reassign_refuses_other_teams_tasks_and_writes_nothing(
    client, supervisor_zhao, agent_li, agent_chen, team_east, team_south
):
    ours = make_task(dormant("甲", team_east))
    theirs = make_task(dormant("乙", team_south), assignee=agent_chen)
    client.force_login(supervisor_zhao)
    response = client.post(
        reverse("care:task_reassign"), {"tasks": [ours.pk, theirs.pk], "assignee": agent_li.pk}
    )
    html = client.get(response["Location"]).content.decode()
    assert "部分任务不存在或无权操作" in html
    ours.refresh_from_db()
    assert ours.assignee is None
    assert not AuditLog.objects.filter(action="callback_task.reassign").exists()
    # An agent of another team is not even a choice.
    response = client.post(
        reverse("care:task_reassign"), {"tasks": [ours.pk], "assignee": agent_chen.pk}
    )
    assert "选择一个有效的选项" in client.get(response["Location"]).content.decode()
    response = client.post(reverse("care:task_reassign"), {"assignee": agent_li.pk})
    assert "请选择要分配的任务" in client.get(response["Location"]).content.decode()


# --- agents ----------------------------------------------------------------------------------


def test_agents_page_shows_load_and_saves_settings(
    client, supervisor_zhao, agent_li, agent_chen, team_east
):
    for i in range(3):
        make_task(dormant(f"客户{i}", team_east), assignee=agent_li)
    client.force_login(supervisor_zhao)
    html = client.get(reverse("care:agents")).content.decode()
    assert html.count('class="agent-row"') == 1 and "陈客服" not in html
    assert "3 / 40" in html
    response = client.post(
        reverse("care:agent_edit", args=[agent_li.pk]),
        {
            f"a{agent_li.pk}-capacity": "25",
            f"a{agent_li.pk}-regions": "华东、华北",
            f"a{agent_li.pk}-skills": "上门",
            f"a{agent_li.pk}-accepts_tasks": "on",
        },
    )
    assert response.status_code == 302
    profile = AgentProfile.objects.get(user=agent_li)
    assert (profile.capacity, profile.regions, profile.skills) == (25, ["华东", "华北"], ["上门"])
    entry = AuditLog.objects.get(action="agent_profile.update")
    assert entry.actor == supervisor_zhao and entry.detail["changes"]["capacity"] == [40, 25]
    html = client.get(reverse("care:agents")).content.decode()
    assert "已保存 李客服 的设置" in html and "3 / 25" in html


def test_agent_settings_refuse_bad_input_and_other_teams(
    client, supervisor_zhao, agent_li, agent_chen
):
    client.force_login(supervisor_zhao)
    response = client.post(
        reverse("care:agent_edit", args=[agent_li.pk]), {f"a{agent_li.pk}-capacity": "0"}
    )
    html = client.get(response["Location"]).content.decode()
    assert "李客服 · 最多未完成任务数" in html
    assert not AgentProfile.objects.filter(user=agent_li).exists()
    response = client.post(
        reverse("care:agent_edit", args=[agent_chen.pk]), {f"a{agent_chen.pk}-capacity": "10"}
    )
    assert response.status_code == 404


def test_agents_page_query_count(client, supervisor_zhao, team_east, django_assert_num_queries):
    for i in range(12):
        user_create(username=f"a{i}", password=PW, role="agent", team=team_east)
    client.force_login(supervisor_zhao)
    # session, user, count, agents (profile, team, loads), team (base.html)
    with django_assert_num_queries(5):
        response = client.get(reverse("care:agents"))
    assert response.content.decode().count('class="agent-row"') == 12


# --- customer 360 ----------------------------------------------------------------------------


def test_customer_page_loads_the_today_panel(client, supervisor_zhao, team_east):
    c = dormant("张三", team_east)
    client.force_login(supervisor_zhao)
    html = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "今日关怀" in html
    assert reverse("care:customer_today", args=[c.pk]) in html


def test_today_panel_explains_created_suppressed_and_not_candidate(
    client, supervisor_zhao, agent_li, team_east
):
    CareRule.objects.update(holdout_share=0)
    c = dormant("张三", team_east, owner=agent_li, birthday=clock.today() + timedelta(days=2))
    plan_day(as_of=clock.today())
    client.force_login(supervisor_zhao)
    html = client.get(
        reverse("care:customer_today", args=[c.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    created = html[html.index('data-purpose="wakeup"') :]
    created = created[: created.index("</li>")]
    assert "已创建任务" in created and "沉睡客户:最近一次下单在 120 天前" in created
    assert "李客服" in created
    birthday = html[html.index('data-purpose="birthday"') :]
    birthday = birthday[: birthday.index("</li>")]
    assert "被抑制 · 优先级让位" in birthday and "沉睡唤醒" in birthday
    retention = html[html.index('data-purpose="retention"') :]
    assert "不符合触发条件" in retention[: retention.index("</li>")]
    # 10 enabled rules (announcement is off by default): 1 created, 1 suppressed, 8 not met.
    assert "8 项关怀未触发" in html
    assert html.count("explain-not_candidate") == 8


def test_today_panel_is_scoped(client, supervisor_zhao, team_south):
    c = dormant("王五", team_south)
    client.force_login(supervisor_zhao)
    assert client.get(reverse("care:customer_today", args=[c.pk])).status_code == 404


def test_admin_sees_every_team_and_filters_by_team(
    client, admin_wang, agent_chen, team_east, team_south
):
    make_task(dormant("甲", team_east))
    make_task(dormant("乙", team_south), assignee=agent_chen)
    make_task(dormant("丙", team_south))
    client.force_login(admin_wang)
    url = reverse("care:tasks")
    html = client.get(url).content.decode()
    assert html.count('class="task-row') == 3 and "华南一组" in html
    south = client.get(url, {"team": team_south.pk, "assignee": "-"}).content.decode()
    assert south.count('class="task-row') == 1 and "丙" in south
    plan = client.get(reverse("care:plan")).content.decode()
    assert plan.count('class="team-row"') == 2
