"""A supervisor tunes the wake-up rule with its live preview, saves it (version 2 in the
history), runs today's plan from the plan page, and moves two tasks to another agent."""

from playwright.sync_api import expect

from careloop.accounts.services import user_create
from careloop.care.models import CallbackTask, CareRule
from careloop.care.services import care_rules_ensure_defaults
from careloop.care.tests.helpers import customer
from e2e.conftest import login


def test_supervisor_tunes_a_rule_runs_the_plan_and_reassigns(
    page, live_server, supervisor_zhao, agent_li, team_east, shot
):
    zhou = user_create(
        username="zhou",
        password="careloop-test-pw",
        role="agent",
        team=team_east,
        display_name="周客服",
    )
    care_rules_ensure_defaults()  # an earlier browser test's flush removed the migration's rules
    CareRule.objects.exclude(purpose="wakeup").update(enabled=False)
    for i in range(8):
        customer(
            f"沉睡客户{i}",
            team=team_east,
            owner=agent_li,
            phone=f"1390000{i:04d}",
            lifecycle="dormant",
            tier="B",
            r_days=100 + i,
        )
    customer(
        "免打扰客户", team=team_east, lifecycle="dormant", tier="B", r_days=90, do_not_contact=True
    )

    login(page, live_server, supervisor_zhao)
    page.goto(f"{live_server.url}/care/rules/")
    expect(page.get_by_role("heading", name="关怀规则")).to_be_visible()
    shot(page, "care-rules")
    row = page.locator("tr.rule-row[data-purpose=wakeup]")
    expect(row).to_contain_text("沉睡唤醒")
    row.get_by_role("link", name="编辑").click()

    expect(page.get_by_role("heading", name="编辑规则 · 沉睡唤醒(第 1 版)")).to_be_visible()
    count = page.get_by_test_id("preview-count")
    expect(count).to_contain_text("今天会为")
    page.get_by_label("对照组比例(%)").fill("0")
    page.get_by_label("到期天数").fill("10")
    page.get_by_label("到期天数").blur()
    expect(count).to_have_text("今天会为 8 位客户创建任务")
    expect(page.locator("tr.sample-row")).to_have_count(8)
    expect(page.locator("tr.sample-row").first).to_contain_text("139****0000")
    shot(page, "care-rule-edit")
    page.get_by_role("button", name="保存规则").click()

    expect(page.get_by_role("heading", name="版本历史 · 沉睡唤醒")).to_be_visible()
    expect(page.get_by_text("已保存")).to_be_visible()
    latest = page.locator("tr.version-row").first
    expect(latest).to_contain_text("第 2 版")
    expect(latest).to_contain_text("赵主管")
    expect(latest).to_contain_text("对照组比例:5% → 0%")
    expect(latest).to_contain_text("到期天数:— → 10")
    shot(page, "care-rule-history")

    page.get_by_role("link", name="今日计划").click()
    expect(page.get_by_test_id("plan-total")).to_have_text("0")
    page.get_by_role("button", name="立即生成今日计划").click()
    expect(page.get_by_test_id("run-result")).to_contain_text("新建 8 个任务")
    page.get_by_role("link", name="刷新页面").click()
    expect(page.get_by_test_id("plan-total")).to_have_text("8")
    expect(page.locator("tr.purpose-row[data-purpose=wakeup]")).to_contain_text("8")
    expect(page.locator("tr.load-row", has_text="李客服")).to_contain_text("8 / 40")
    expect(page.get_by_test_id("plan-suppressed")).to_have_text("1")
    expect(page.locator("tr.suppression-row")).to_contain_text("免打扰客户")
    expect(page.locator("tr.suppression-row")).to_contain_text("客户设置了免打扰")
    page.wait_for_timeout(300)  # the chart's animation
    shot(page, "care-plan")

    page.get_by_role("link", name="回访任务").click()
    expect(page.locator("tr.task-row")).to_have_count(8)
    rows = page.locator("tr.task-row")
    rows.nth(0).get_by_role("checkbox").check()
    rows.nth(1).get_by_role("checkbox").check()
    expect(page.locator("#selected-count")).to_have_text("已选 2 个任务")
    page.get_by_label("分配给").select_option(label="周客服")
    shot(page, "care-tasks")
    page.get_by_role("button", name="批量分配").click()
    expect(page.get_by_text("已将 2 个任务分配给 周客服")).to_be_visible()
    expect(page.locator("tr.task-row", has_text="周客服")).to_have_count(2)
    assert CallbackTask.objects.filter(assignee=zhou).count() == 2

    page.goto(f"{live_server.url}/care/agents/")
    expect(page.locator("tr.agent-row")).to_have_count(2)
    shot(page, "care-agents")

    first = CallbackTask.objects.filter(assignee=zhou).first()
    page.goto(f"{live_server.url}/customers/{first.customer_id}/")
    panel = page.get_by_test_id("care-today")
    expect(panel.locator("li[data-purpose=wakeup]")).to_contain_text("已创建任务")
    expect(panel.locator("li[data-purpose=wakeup]")).to_contain_text("周客服")
    shot(page, "care-customer-today")
