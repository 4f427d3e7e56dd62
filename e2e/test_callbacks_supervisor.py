"""A supervisor's side of the workspace: the team queue and reassigning a task, a quality
check (质检) with a score, a script edited to a new version, the suggestions board, and an
agent's screen pop from a softphone link."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from careloop.accounts.services import user_create
from careloop.callbacks.models import CallScript, QualityReview, Suggestion
from careloop.callbacks.services import (
    ItemIn,
    call_scripts_ensure_defaults,
    callback_task_complete,
)
from careloop.callbacks.tests.factories import make_customer, make_task
from e2e.conftest import ARTIFACTS, login


@pytest.fixture(autouse=True)
def default_scripts(transactional_db):
    """Live-server tests flush the database between tests, data migrations included."""
    call_scripts_ensure_defaults()


LAPTOP = {"width": 1366, "height": 768}


def test_supervisor_reassigns_checks_quality_and_edits_a_script(
    page, live_server, team_east, supervisor_zhao, agent_li
):
    zhou = user_create(
        username="zhou", password="careloop-test-pw", role="agent", team=team_east,
        display_name="周客服",
    )  # fmt: skip
    zhang = make_customer("张伟", team=team_east, gender="M", phone="13812345678")
    wang = make_customer("王芳", team=team_east, gender="F")
    moving = make_task(zhang, assignee=agent_li, purpose="wakeup")
    done = make_task(wang, assignee=agent_li, status="in_progress", due_in=timedelta(hours=-1))
    callback_task_complete(
        task=done, agent=agent_li, outcome="reached", satisfaction="satisfied", csat=5,
        notes="客户对新版本很满意,建议增加夜间客服",
        items=[ItemIn("suggestion", "希望增加夜间客服")],
    )  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size(LAPTOP)
    login(page, live_server, supervisor_zhao)

    page.goto(f"{live_server.url}/callbacks/team/")
    page.get_by_label("选择 张伟 先生").check()
    page.locator("form[action$='reassign/'] select[name=assignee]").select_option(label="周客服")
    page.get_by_role("button", name="重新分配所选任务").click()
    expect(page.locator(".messages")).to_contain_text("已重新分配 1 个任务")
    moving.refresh_from_db()
    assert moving.assignee_id == zhou.pk
    page.screenshot(path=str(ARTIFACTS / "callbacks-team.png"))

    page.goto(f"{live_server.url}/callbacks/quality/")
    row = page.locator("tr[data-testid^=qa-]")
    expect(row).to_contain_text("客户对新版本很满意")
    row.get_by_label("质检评分").fill("92")
    row.get_by_label("质检意见").fill("开场规范,记录完整")
    row.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("质检结果已保存")
    assert QualityReview.objects.get().score == 92
    page.screenshot(path=str(ARTIFACTS / "callbacks-quality.png"))

    page.goto(f"{live_server.url}/callbacks/suggestions/")
    s = page.locator("tr[data-testid^=suggestion-]")
    s.get_by_label("状态").select_option(label="已采纳")
    s.get_by_label("评审意见").fill("下季度排班试点")
    s.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("建议状态已更新")
    assert Suggestion.objects.get().status == "accepted"

    page.goto(f"{live_server.url}/callbacks/scripts/")
    page.get_by_role("link", name="沉睡唤醒").click()
    page.get_by_label("开场白").fill("{{称呼}}您好!好久不见,想问候您一下。")
    page.screenshot(path=str(ARTIFACTS / "callbacks-script-form.png"))
    page.get_by_role("button", name="保存话术").click()
    expect(page.locator(".messages")).to_contain_text("话术已保存(第 2 版)")
    assert CallScript.objects.get(purpose="wakeup", value_class="").version == 2
    page.screenshot(path=str(ARTIFACTS / "callbacks-scripts.png"))


def test_agent_screen_pop_from_a_softphone_link(page, live_server, team_east, agent_li):
    zhang = make_customer("张伟", team=team_east, gender="M", phone="13812345678")
    make_task(zhang, assignee=agent_li, purpose="wakeup", reason="沉睡客户:最近一次下单在 143 天前")
    page.set_viewport_size(LAPTOP)
    login(page, live_server, agent_li)
    page.goto(f"{live_server.url}/callbacks/pop/?phone=138-1234-5678")
    expect(page.get_by_test_id("pop-opening")).to_contain_text("张先生您好!正好我们有一项沉睡唤醒")
    expect(page.locator("main")).to_contain_text("138****5678")
    page.screenshot(path=str(ARTIFACTS / "callbacks-pop.png"))
    page.get_by_role("link", name="沉睡唤醒").click()
    expect(page.get_by_test_id("why")).to_contain_text("最近一次下单在 143 天前")
