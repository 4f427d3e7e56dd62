"""The agent workspace end to end: open the queue, take the next task, fill the callback record
with an issue for 技术部, the department resolves it, and the resolution check appears in the
agent's queue. Screenshots of the queue and the task screen at 1366×768 (no page scroll)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from careloop.accounts.services import user_create
from careloop.callbacks.services import call_scripts_ensure_defaults
from careloop.callbacks.tests.factories import department, make_customer, make_task
from careloop.care.models import CallbackTask
from careloop.customers.models import Customer
from careloop.customers.tests.factories import make_complaint, make_contact, make_order
from e2e.conftest import ARTIFACTS, login


@pytest.fixture(autouse=True)
def default_scripts(transactional_db):
    """Live-server tests flush the database between tests, data migrations included."""
    call_scripts_ensure_defaults()


LAPTOP = {"width": 1366, "height": 768}


def _workload(team, agent):
    zhang = make_customer(
        "张伟", team=team, gender="M", phone="13812345678", company="杭州恒达机械有限公司"
    )
    Customer.objects.filter(pk=zhang.pk).update(
        value_class="core", lifecycle="churn_warning", tier="A", health=46,
        health_reasons=["近 90 天消费减半", "有 1 个投诉处理中"],
    )  # fmt: skip
    make_order(zhang, "12800.00", "2026-09-12", product="智能打印机 P300")
    make_order(zhang, "860.00", "2026-10-20", product="P300 原装硒鼓")
    make_complaint(zhang, when="2026-11-10", number="TS20261110003", category="质量问题")
    make_contact(zhang, kind="survey", csat=2, nps=5, text="卡纸太频繁", when="2026-11-12")
    make_contact(
        zhang, kind="consult", text="再卡纸我就去12315投诉", when="2026-11-20",
        emotion="angry", high_risk=True, emotion_cues="12315",
    )  # fmt: skip
    first = make_task(
        zhang, assignee=agent, purpose="churn_rescue", priority="high",
        due_in=timedelta(hours=-3), reason="流失预警:近 90 天消费比前 90 天下降 62%",
    )  # fmt: skip
    others = [
        ("王芳", "F", "wakeup", "medium", "沉睡客户:最近一次下单在 143 天前"),
        ("刘洋", "M", "activation", "medium", "新客激活:首单 2026-11-10,了解使用情况"),
        ("陈静", "F", "birthday", "low", "生日关怀:12 月 1 日生日"),
        ("杨磊", "M", "retention", "low", "老客维护:90 天内无完成的回访"),
    ]
    for i, (name, gender, purpose, priority, reason) in enumerate(others):
        make_task(
            make_customer(name, team=team, gender=gender), assignee=agent, purpose=purpose,
            priority=priority, due_in=timedelta(hours=6 + i * 20), reason=reason,
        )  # fmt: skip
    return zhang, first


def test_agent_works_the_queue_and_the_loop_closes(browser, page, live_server, team_east, agent_li):
    tech_sun = user_create(username="sun", password="careloop-test-pw", role="agent")
    department("技术部", members=[tech_sun])
    department("售后部")
    zhang, first = _workload(team_east, agent_li)
    ARTIFACTS.mkdir(exist_ok=True)

    page.set_viewport_size(LAPTOP)
    login(page, live_server, agent_li)
    page.goto(f"{live_server.url}/callbacks/")
    rows = page.locator("tr.task-row")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("张伟 先生")  # overdue and high first
    page.screenshot(path=str(ARTIFACTS / "callbacks-queue.png"))

    # keyboard: j selects the first row, Enter opens it
    page.keyboard.press("j")
    expect(rows.first).to_have_class("task-row selected")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/callbacks/tasks/{first.pk}/")
    page.go_back()

    page.get_by_role("button", name="下一个任务").click()
    page.wait_for_url(f"**/callbacks/tasks/{first.pk}/")
    expect(page.get_by_test_id("script")).to_contain_text("张先生您好")
    expect(page.get_by_test_id("history")).to_contain_text("P300 原装硒鼓")
    expect(page.get_by_test_id("history")).to_contain_text("高风险")
    page.screenshot(path=str(ARTIFACTS / "callbacks-task.png"))
    overflow = page.evaluate("document.documentElement.scrollHeight - window.innerHeight")
    assert overflow <= 0, f"task screen scrolls by {overflow}px at 1366×768"

    record = page.locator("#record")
    record.get_by_label("接通", exact=True).check()
    record.get_by_label("满意", exact=True).check()
    record.locator("select[name=csat]").select_option("4")
    record.get_by_label("沟通记录").fill("客户说打印机还是偶尔卡纸,希望上门检修")
    item = page.get_by_test_id("item-0")
    item.locator("select[name=item_kind_0]").select_option("issue")
    item.locator("input[name=item_text_0]").fill("打印机偶尔卡纸,需上门检修")
    item.locator("select[name=item_urgency_0]").select_option("urgent")
    # forgot the department: the error names it and keeps what was typed
    page.get_by_role("button", name="保存回访记录").click()
    expect(record).to_contain_text("需跟进问题须选择处理部门")
    expect(record.get_by_label("沟通记录")).to_have_value("客户说打印机还是偶尔卡纸,希望上门检修")
    page.locator("select[name=item_department_0]").select_option(label="技术部")
    page.get_by_role("button", name="保存回访记录").click()
    expect(page.get_by_test_id("record-saved")).to_contain_text("已完成")

    # the department resolves the ticket
    other = browser.new_context(locale="zh-CN", viewport=LAPTOP)
    dept_page = other.new_page()
    login(dept_page, live_server, tech_sun)
    dept_page.goto(f"{live_server.url}/callbacks/tickets/")
    row = dept_page.locator("tr.ticket-row")
    expect(row).to_contain_text("打印机偶尔卡纸")
    expect(row).to_contain_text("紧急")
    row.get_by_label("处理结果").fill("已上门更换搓纸轮")
    dept_page.screenshot(path=str(ARTIFACTS / "callbacks-tickets.png"))
    row.get_by_role("button", name="处理完成").click()
    expect(dept_page.locator(".messages")).to_contain_text("已通知坐席回访客户")
    other.close()

    # the agent's queue now has the resolution check
    check = CallbackTask.objects.get(purpose="resolution_check", customer=zhang)
    page.goto(f"{live_server.url}/callbacks/")
    new_row = page.locator(f'tr.task-row[data-task="{check.pk}"]')
    expect(new_row).to_contain_text("处理回访")
    expect(new_row).to_contain_text("张伟 先生")
