"""The workspace pages as each role sees them: queue, task screen, record form, tickets,
suggestions, scripts, team queue, quality checks and screen pop."""

from datetime import timedelta

import pytest
from django.urls import reverse

from careloop.callbacks.models import CallbackRecord, CallScript, FollowUpTicket, Suggestion
from careloop.callbacks.services import ItemIn, callback_task_complete
from careloop.callbacks.tests.factories import make_customer, make_task
from careloop.care.models import CallbackTask
from careloop.core import clock
from careloop.customers.tests.factories import make_complaint, make_contact, make_order

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _tasks(n, team, agent):
    return [
        make_task(make_customer(f"客户{i}", team=team, gender="F"), assignee=agent)
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [3, 30])
def test_queue_query_count(client, team_east, agent_li, django_assert_num_queries, n):
    _tasks(n, team_east, agent_li)
    client.force_login(agent_li)
    # session, user, count, page, the header counts (2)
    with django_assert_num_queries(6):
        response = client.get(reverse("callbacks:queue"))
    assert response.content.count(b'class="task-row"') == min(n, 25)


def test_queue_shows_own_tasks_in_order_and_filters(client, team_east, agent_li, zhang, wang_f):
    late = make_task(zhang, assignee=agent_li, priority="low", due_in=timedelta(hours=-1))
    high = make_task(wang_f, assignee=agent_li, priority="high", reason="客户 A 类,近期消费下降")
    pool = make_task(make_customer("池客户", team=team_east))
    client.force_login(agent_li)
    body = client.get(reverse("callbacks:queue")).content.decode()
    assert body.index(f'data-task="{late.pk}"') < body.index(f'data-task="{high.pk}"')
    assert f'data-task="{pool.pk}"' not in body
    assert "张伟 先生" in body and "王芳 女士" in body and "逾期" in body
    assert "客户 A 类,近期消费下降" in body
    only_pool = client.get(reverse("callbacks:queue"), {"pool": "on"}, **HTMX).content.decode()
    assert f'data-task="{pool.pk}"' in only_pool and f'data-task="{high.pk}"' not in only_pool
    overdue = client.get(reverse("callbacks:queue"), {"overdue": "on"}).content.decode()
    assert f'data-task="{late.pk}"' in overdue and f'data-task="{high.pk}"' not in overdue
    by_purpose = client.get(reverse("callbacks:queue"), {"purpose": "retention"}).content.decode()
    assert "task-row" not in by_purpose


def test_a_call_agreed_for_a_later_day_waits_for_that_day(client, agent_li, zhang, wang_f):
    today = make_task(zhang, assignee=agent_li)
    agreed = make_task(
        wang_f,
        assignee=agent_li,
        due_in=timedelta(days=40),
        plan_date=clock.today() + timedelta(days=40),
        reason="客户约定下月再联系",
    )
    client.force_login(agent_li)
    body = client.get(reverse("callbacks:queue")).content.decode()
    assert f'data-task="{today.pk}"' in body and f'data-task="{agreed.pk}"' not in body
    assert "待处理 1" in body  # the header counts what is in today's queue
    later = client.get(reverse("callbacks:queue"), {"later": "on"}).content.decode()
    assert f'data-task="{agreed.pk}"' in later
    client.post(reverse("callbacks:claim_next"))
    client.post(reverse("callbacks:claim_next"))  # nothing left for today: the agreed call waits
    agreed.refresh_from_db()
    assert agreed.status == "open"


def test_next_task_claims_and_opens_the_task_screen(client, agent_li, zhang):
    task = make_task(zhang, assignee=agent_li)
    client.force_login(agent_li)
    response = client.post(reverse("callbacks:claim_next"))
    assert response.status_code == 302
    assert response["Location"] == reverse("callbacks:task", args=[task.pk])
    task.refresh_from_db()
    assert task.status == "in_progress"
    empty = client.post(reverse("callbacks:claim_next"), follow=True)
    assert "队列里没有待处理的任务了" in empty.content.decode()


def _rich_task(customer, agent):
    make_order(customer, "1280.00", "2026-06-01", product="智能打印机 P300")
    complaint = make_complaint(customer, when="2026-10-05", number="TS20261005001")
    make_contact(customer, kind="survey", csat=2, nps=4, text="打印太慢", when="2026-10-20")
    earlier = make_task(customer, assignee=agent, status="in_progress")
    callback_task_complete(
        task=earlier, agent=agent, outcome="reached", notes="上次说打印偏慢",
        items=[ItemIn("suggestion", "希望出一个静音模式")],
    )  # fmt: skip
    return make_task(
        customer,
        assignee=agent,
        purpose="complaint_followup",
        status="in_progress",
        source_type="complaint",
        source_id=complaint.pk,
        reason="投诉 TS20261005001 处理中,24 小时内回访",
    )


def test_task_screen_shows_customer_history_and_filled_script(
    client, agent_li, zhang, django_assert_num_queries
):
    task = _rich_task(zhang, agent_li)
    zhang.health, zhang.health_reasons = 58, [{"code": "recency", "days": 75}, {"code": "unhappy"}]
    zhang.save(update_fields=["health", "health_reasons"])
    client.force_login(agent_li)
    # session, user, task, departments, orders, complaints, last record + its items, survey,
    # emotion flags, script, the user's team (top bar)
    with django_assert_num_queries(12):
        response = client.get(reverse("callbacks:task", args=[task.pk]))
    body = response.content.decode()
    assert "张伟 先生" in body
    assert "投诉 TS20261005001 处理中" in body  # why
    assert "智能打印机 P300" in body  # last orders
    assert "NPS 4" in body and "CSAT 2" in body  # last survey
    assert "上次说打印偏慢" in body and "希望出一个静音模式" in body  # last callback
    assert "张先生您好!我是客户服务中心的李客服" in body  # {{称呼}} and {{坐席}} filled
    assert "投诉编号 TS20261005001" in body  # {{投诉编号}} filled
    assert "{{" not in body
    assert "138****5678" in body  # agents see masked phones
    assert 'id="save-record"' in body
    assert "最近一次下单 75 天前；近期有不满意评价" in body  # health reasons in words
    assert "'code'" not in body


def test_task_screen_picks_the_value_class_script(client, agent_li, zhang, supervisor_zhao):
    from careloop.callbacks.services import call_script_save

    base = CallScript.objects.get(purpose="wakeup", value_class="")
    call_script_save(
        user=supervisor_zhao,
        purpose="wakeup",
        value_class="core",
        **(base.snapshot() | {"opening": "{{称呼}},您是我们的核心客户"}),
    )
    zhang.value_class = "core"
    zhang.save(update_fields=["value_class"])
    task = make_task(zhang, assignee=agent_li)
    client.force_login(agent_li)
    assert (
        "张先生,您是我们的核心客户"
        in client.get(reverse("callbacks:task", args=[task.pk])).content.decode()
    )


def test_rule_script_suggestions_are_filled(client, agent_li, zhang):
    from careloop.care.models import CareRule

    rule = CareRule.objects.get(purpose="wakeup")
    rule.script_template = "{{姓名}}({{公司}})可推荐新品,原因:{{原因}}"
    rule.save(update_fields=["script_template"])
    task = make_task(zhang, assignee=agent_li, rule=rule, reason="沉睡 143 天")
    client.force_login(agent_li)
    body = client.get(reverse("callbacks:task", args=[task.pk])).content.decode()
    assert "张伟(张伟)可推荐新品,原因:沉睡 143 天" in body


def test_task_of_another_team_is_404(client, agent_chen, zhang, agent_li):
    task = make_task(zhang, assignee=agent_li)
    client.force_login(agent_chen)
    assert client.get(reverse("callbacks:task", args=[task.pk])).status_code == 404


def test_record_form_error_keeps_what_was_typed(client, agent_li, zhang, tech):
    task = make_task(zhang, assignee=agent_li, status="in_progress")
    client.force_login(agent_li)
    response = client.post(
        reverse("callbacks:task_record", args=[task.pk]),
        {
            "outcome": "reached",
            "method": "phone",
            "notes": "客户反映设备异响",
            "item_kind_0": "issue",
            "item_text_0": "设备运行有异响",
            "item_urgency_0": "urgent",
            "item_department_0": "",
        },
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "需跟进问题须选择处理部门" in body
    assert "客户反映设备异响" in body and 'value="设备运行有异响"' in body
    assert CallbackRecord.objects.count() == 0


def test_record_domain_error_is_shown_next_to_its_field(client, agent_li, zhang):
    task = make_task(zhang, assignee=agent_li, status="in_progress")
    client.force_login(agent_li)
    body = client.post(
        reverse("callbacks:task_record", args=[task.pk]),
        {"outcome": "call_later", "method": "phone", "notes": "客户在开会"},
        **HTMX,
    ).content.decode()
    assert "请填写约定回拨时间" in body and "客户在开会" in body


def test_record_saved_in_one_click(client, agent_li, zhang, tech):
    task = make_task(zhang, assignee=agent_li, status="in_progress")
    client.force_login(agent_li)
    response = client.post(
        reverse("callbacks:task_record", args=[task.pk]),
        {
            "outcome": "reached",
            "method": "phone",
            "satisfaction": "satisfied",
            "csat": "5",
            "duration_minutes": "4",
            "notes": "客户很满意",
            "item_kind_0": "issue",
            "item_text_0": "希望上门调试",
            "item_urgency_0": "normal",
            "item_department_0": str(tech.pk),
        },
        **HTMX,
    )
    body = response.content.decode()
    assert 'data-testid="record-saved"' in body and "已完成" in body
    record = CallbackRecord.objects.get()
    assert (record.csat, record.duration_seconds, record.satisfaction) == (5, 240, "satisfied")
    assert FollowUpTicket.objects.get().department == tech


def test_record_on_someone_elses_task_is_refused(client, supervisor_zhao, agent_li, zhang):
    task = make_task(zhang, assignee=agent_li, status="in_progress")
    client.force_login(supervisor_zhao)
    body = client.post(
        reverse("callbacks:task_record", args=[task.pk]),
        {"outcome": "reached", "method": "phone"},
        **HTMX,
    ).content.decode()
    assert "任务已由他人处理或已完成" in body
    assert CallbackRecord.objects.count() == 0


def test_tickets_page_for_the_department_and_resolve(client, tech_sun, tech, agent_li, zhang):
    task = make_task(zhang, assignee=agent_li, status="in_progress")
    callback_task_complete(
        task=task,
        agent=agent_li,
        outcome="reached",
        items=[ItemIn("issue", "打印机卡纸", "urgent", tech.pk)],
    )
    client.force_login(tech_sun)
    body = client.get(reverse("callbacks:tickets")).content.decode()
    assert "打印机卡纸" in body and "紧急" in body and "张伟 先生" in body
    ticket = FollowUpTicket.objects.get()
    response = client.post(
        reverse("callbacks:ticket_resolve", args=[ticket.pk]), {"resolution": "已更换搓纸轮"}
    )
    assert response.status_code == 302
    check = CallbackTask.objects.get(purpose="resolution_check")
    assert check.assignee == agent_li
    client.force_login(agent_li)
    queue = client.get(reverse("callbacks:queue")).content.decode()
    assert f'data-task="{check.pk}"' in queue and "处理回访" in queue


def test_tickets_page_hides_other_departments(client, agent_chen, tech, agent_li, zhang):
    task = make_task(zhang, assignee=agent_li, status="in_progress")
    callback_task_complete(
        task=task,
        agent=agent_li,
        outcome="reached",
        items=[ItemIn("issue", "卡纸", "normal", tech.pk)],
    )
    client.force_login(agent_chen)
    assert "卡纸" not in client.get(reverse("callbacks:tickets")).content.decode()
    client.force_login(agent_li)  # the agent who raised it follows it, without resolving
    body = client.get(reverse("callbacks:tickets")).content.decode()
    assert "卡纸" in body and "等待部门处理" in body and "处理完成" not in body


def make_supervisor_south():
    from careloop.accounts.services import team_ensure, user_create

    south = team_ensure(code="south", name="华南一组", region="华南")
    return user_create(username="sun", password="pw-12345678", role="supervisor", team=south)


def test_suggestions_board_is_for_supervisors(client, supervisor_zhao, agent_li, zhang):
    task = make_task(zhang, assignee=agent_li, status="in_progress")
    callback_task_complete(
        task=task, agent=agent_li, outcome="reached", items=[ItemIn("suggestion", "增加夜间客服")]
    )
    client.force_login(agent_li)
    assert client.get(reverse("callbacks:suggestions")).status_code == 403
    client.force_login(supervisor_zhao)
    assert "增加夜间客服" in client.get(reverse("callbacks:suggestions")).content.decode()
    s = Suggestion.objects.get()
    client.force_login(make_supervisor_south())
    assert "增加夜间客服" not in client.get(reverse("callbacks:suggestions")).content.decode()
    other = client.post(reverse("callbacks:suggestion_review", args=[s.pk]), {"status": "accepted"})
    assert other.status_code == 404
    s.refresh_from_db()
    assert s.status == "new"  # another team's supervisor neither sees nor reviews it
    client.force_login(supervisor_zhao)
    response = client.post(
        reverse("callbacks:suggestion_review", args=[s.pk]),
        {"status": "accepted", "next": "https://evil.example/phish"},
    )
    assert response["Location"] == reverse("callbacks:suggestions")  # never off-site
    s.refresh_from_db()
    assert s.status == "accepted"


def test_scripts_pages_edit_and_version(client, supervisor_zhao, agent_li):
    script = CallScript.objects.get(purpose="birthday", value_class="")
    client.force_login(agent_li)
    assert client.get(reverse("callbacks:scripts")).status_code == 403
    client.force_login(supervisor_zhao)
    assert "生日关怀" in client.get(reverse("callbacks:scripts")).content.decode()
    data = script.snapshot() | {"opening": "{{称呼}}您好,生日快乐!", "closing": ""}
    bad = client.post(reverse("callbacks:script_edit", args=[script.pk]), data)
    assert bad.status_code == 200 and "这个字段是必填项" in bad.content.decode()
    data["closing"] = "祝您生日快乐!"
    assert client.post(reverse("callbacks:script_edit", args=[script.pk]), data).status_code == 302
    script.refresh_from_db()
    assert (script.version, script.opening) == (2, "{{称呼}}您好,生日快乐!")


def test_team_queue_and_reassign(client, supervisor_zhao, agent_li, team_east, zhang):
    from careloop.accounts.services import user_create

    zhou = user_create(username="zhou", password="x", role="agent", team=team_east)
    task = make_task(zhang, assignee=agent_li)
    client.force_login(supervisor_zhao)
    body = client.get(reverse("callbacks:team")).content.decode()
    assert "张伟 先生" in body and "李客服" in body
    client.post(reverse("callbacks:team_reassign"), {"tasks": [task.pk], "assignee": "zhou"})
    task.refresh_from_db()
    assert task.assignee == zhou
    client.force_login(agent_li)
    assert client.get(reverse("callbacks:team")).status_code == 403


def test_quality_sample_and_review(client, supervisor_zhao, agent_li, team_east):
    for i in range(5):
        task = make_task(
            make_customer(f"质检{i}", team=team_east), assignee=agent_li, status="in_progress"
        )
        callback_task_complete(task=task, agent=agent_li, outcome="reached", notes=f"记录{i}")
    client.force_login(supervisor_zhao)
    body = client.get(reverse("callbacks:quality")).content.decode()
    assert body.count('data-testid="qa-') == 3  # three per agent
    record = CallbackRecord.objects.first()
    client.post(reverse("callbacks:quality_review", args=[record.pk]), {"score": "120"})
    assert not hasattr(CallbackRecord.objects.get(pk=record.pk), "review_cache")
    response = client.post(
        reverse("callbacks:quality_review", args=[record.pk]), {"score": "88", "comment": "规范"},
        follow=True,
    )  # fmt: skip
    assert "质检结果已保存" in response.content.decode()
    assert record.review.score == 88


def test_pop_page(client, agent_li, zhang):
    make_task(zhang, assignee=agent_li, purpose="wakeup")
    client.force_login(agent_li)
    body = client.get(reverse("callbacks:pop"), {"phone": "13812345678"}).content.decode()
    assert "张先生您好!正好我们有一项沉睡唤醒想跟您沟通" in body
    missing = client.get(reverse("callbacks:pop"), {"phone": "13900000000"}).content.decode()
    assert "没有该号码的客户或无权查看" in missing


def test_visit_plan_form(client, agent_li, zhang):
    task = make_task(zhang, assignee=agent_li, method="visit", due_in=timedelta(days=10))
    client.force_login(agent_li)
    bad = client.post(reverse("callbacks:visit_plan", args=[task.pk]), {"people": "李客服"})
    assert bad.status_code == 400
    ok = client.post(
        reverse("callbacks:visit_plan", args=[task.pk]),
        {"people": "李客服、王工程师", "agenda": "设备巡检"},
        follow=True,
    )
    assert "上门计划已保存" in ok.content.decode()
    assert task.visit_plan.people == "李客服、王工程师"


def _issue(customer, agent, dept, text="打印机卡纸"):
    task = make_task(customer, assignee=agent, status="in_progress")
    callback_task_complete(
        task=task, agent=agent, outcome="reached", items=[ItemIn("issue", text, "normal", dept.pk)]
    )


@pytest.mark.parametrize("n", [2, 12])
def test_tickets_page_query_count(
    client, tech_sun, tech, agent_li, team_east, django_assert_num_queries, n
):
    for i in range(n):
        _issue(make_customer(f"工单{i}", team=team_east), agent_li, tech, text=f"问题{i}")
    client.force_login(tech_sun)
    # session, user, count, page (customer, department, agent, item joined), the user's
    # departments
    with django_assert_num_queries(5):
        response = client.get(reverse("callbacks:tickets"))
    assert response.content.decode().count('class="ticket-row"') == n


@pytest.mark.parametrize("n", [2, 12])
def test_team_queue_query_count(
    client, supervisor_zhao, agent_li, team_east, django_assert_num_queries, n
):
    _tasks(n, team_east, agent_li)
    client.force_login(supervisor_zhao)
    # session, user, count, page, load per agent, agents of the team, the user's team
    with django_assert_num_queries(7):
        response = client.get(reverse("callbacks:team"))
    assert response.content.decode().count('class="team-row"') == n


def test_leads_page_for_owner_and_status(client, agent_li, agent_chen, zhang):
    task = make_task(zhang, assignee=agent_li, status="in_progress")
    callback_task_complete(
        task=task, agent=agent_li, outcome="reached", items=[ItemIn("need", "想加购两台打印机")]
    )
    client.force_login(agent_chen)
    assert "想加购两台打印机" not in client.get(reverse("callbacks:leads")).content.decode()
    client.force_login(agent_li)
    assert "想加购两台打印机" in client.get(reverse("callbacks:leads")).content.decode()
    from careloop.callbacks.models import SalesLead

    lead = SalesLead.objects.get()
    client.post(reverse("callbacks:lead_update", args=[lead.pk]), {"status": "following"})
    lead.refresh_from_db()
    assert lead.status == "following"


def test_record_without_javascript_redirects_or_shows_the_whole_screen(client, agent_li, zhang):
    task = make_task(zhang, assignee=agent_li, status="in_progress")
    client.force_login(agent_li)
    url = reverse("callbacks:task_record", args=[task.pk])
    bad = client.post(url, {"method": "phone", "notes": "没选结果"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "请选择回访结果" in body and "没选结果" in body and 'data-testid="script"' in body
    ok = client.post(url, {"outcome": "refused", "method": "phone"}, follow=True)
    assert "已保存回访记录" in ok.content.decode()


def test_pool_task_is_claimed_from_its_screen(client, agent_li, agent_chen, zhang, team_east):
    task = make_task(zhang)  # 华东's pool
    client.force_login(agent_li)
    body = client.get(reverse("callbacks:task", args=[task.pk])).content.decode()
    assert "领取此任务" in body and 'id="save-record"' not in body
    client.post(reverse("callbacks:task_claim", args=[task.pk]))
    task.refresh_from_db()
    assert (task.assignee, task.status) == (agent_li, "in_progress")
    assert (
        'id="save-record"' in client.get(reverse("callbacks:task", args=[task.pk])).content.decode()
    )
    from careloop.accounts.services import user_create

    zhou = user_create(username="zhou", password="x", role="agent", team=team_east)
    client.force_login(zhou)  # taken already: no longer in the pool, so not even visible
    assert client.post(reverse("callbacks:task_claim", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.assignee == agent_li


def test_team_load_per_agent(client, supervisor_zhao, agent_li, team_east, zhang):
    make_task(zhang, assignee=agent_li, due_in=timedelta(hours=-1))
    make_task(make_customer("池", team=team_east))
    client.force_login(supervisor_zhao)
    body = client.get(reverse("callbacks:team")).content.decode()
    assert "李客服 1 · 逾期 1" in body and "团队池 1" in body
