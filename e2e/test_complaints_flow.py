"""Browser test: a complaint from intake to closure (受理 → 响应 → 诊断 → 方案 → 进度 → 解决 →
回访确认 → 关闭), then the review page."""

import re

from playwright.sync_api import Page, expect

from careloop.customers.tests.factories import make_customer

from .conftest import login


def test_complaint_lifecycle(page: Page, live_server, agent_li, supervisor_zhao, shot):
    make_customer("张伟", gender="M", team=agent_li.team, phone="13812345678")
    login(page, live_server, agent_li)
    page.goto(f"{live_server.url}/complaints/new")
    page.get_by_label("客户手机").fill("13812345678")
    page.get_by_label("渠道").select_option("phone")
    page.get_by_label("等级").select_option("A")
    page.get_by_label("类别").fill("设备故障")
    page.get_by_label("产品").fill("X1 注塑机")
    page.get_by_label("投诉描述").fill("设备报警停机,产线停了两小时")
    shot(page, "complaint-new")
    page.get_by_role("button", name="受理").click()
    expect(page.get_by_test_id("stage")).to_have_text("待响应")
    expect(page.get_by_test_id("timer").first).to_contain_text(
        re.compile(r"剩余 (1 小时 59 分|2 小时)")
    )
    expect(page.locator("main")).to_contain_text("138****5678")

    page.get_by_role("button", name="首次响应").click()
    expect(page.get_by_test_id("stage")).to_have_text("已响应")
    shot(page, "complaint-ticket")

    diagnose = page.locator('form[data-stage="diagnose"]')
    diagnose.get_by_label("投诉性质").select_option("fact")
    diagnose.get_by_label("发生了什么").fill("温控模块故障")
    diagnose.get_by_label("客户期望的结果").fill("当天修复")
    diagnose.get_by_label("之前是否反映过").select_option("false")
    diagnose.get_by_label("根因维度").select_option("goods")
    diagnose.get_by_role("button", name="保存诊断").click()
    expect(page.get_by_test_id("stage")).to_have_text("诊断中")

    solution = page.locator('form[data-stage="solution"]')
    solution.get_by_label("方案类型").select_option("process")
    solution.get_by_label("方案说明").fill("上门更换温控模块,质检追溯批次")
    solution.get_by_role("button", name="保存方案").click()
    expect(page.get_by_test_id("stage")).to_have_text("方案确定")

    page.get_by_role("button", name="标记已解决").click()
    expect(page.get_by_test_id("resolve-error")).to_have_text("解决前至少要向客户发送一次进度通知")

    progress = page.locator('form[data-stage="progress"]')
    progress.get_by_label("进度内容").fill("工程师已出发,预计 14:00 到达")
    progress.get_by_role("button", name="发送进度").click()
    expect(page.locator("ul.updates")).to_contain_text("工程师已出发")

    page.get_by_role("button", name="标记已解决").click()
    expect(page.get_by_test_id("stage")).to_have_text("已解决")
    shot(page, "complaint-resolved")

    confirm = page.locator('form[data-stage="confirm"]')
    confirm.get_by_label("回访结果").select_option("yes")
    confirm.get_by_label("回访记录").fill("客户确认设备恢复正常")
    confirm.get_by_role("button", name="提交回访结果").click()
    expect(page.get_by_test_id("stage")).to_have_text("已关闭")
    expect(page.locator("aside")).to_contain_text("回访确认满意,关闭")
    shot(page, "complaint-closed")

    page.goto(f"{live_server.url}/complaints/")
    expect(page.locator("tr.complaint-row")).to_have_count(1)
    shot(page, "complaint-list")


def test_supervisor_reads_the_review_and_drills_down(
    page: Page, live_server, agent_li, supervisor_zhao, shot
):
    from careloop.complaints.services import complaint_create

    customer = make_customer("李娜", gender="F", team=supervisor_zhao.team)
    for category in ("物流延误", "物流延误", "产品质量"):
        complaint_create(
            actor=agent_li,
            customer=customer,
            channel="phone",
            severity="B",
            category=category,
            description="测试",
        )
    login(page, live_server, supervisor_zhao)
    page.goto(f"{live_server.url}/complaints/review/")
    expect(page.get_by_test_id("total")).to_contain_text("3")
    expect(page.get_by_test_id("repeat")).to_contain_text("33.3%")
    page.wait_for_function("document.querySelector('#chart-category canvas') !== null")
    shot(page, "complaint-review")
    page.locator("table.review-category").get_by_role("link", name="2").click()
    expect(page.locator("tr.complaint-row")).to_have_count(2)
    expect(page.get_by_test_id("drilldown")).to_contain_text("category=物流延误")
