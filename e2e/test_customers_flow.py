"""An agent logs in, finds a customer by pinyin initials, opens the 360 page and adds a note."""

import re

from playwright.sync_api import expect

from careloop.customers.tests.factories import (
    make_complaint,
    make_contact,
    make_customer,
    make_order,
)
from e2e.conftest import login


def test_agent_searches_and_opens_360(page, live_server, agent_li, team_east, shot):
    zhang = make_customer(
        "张三",
        team=team_east,
        gender="M",
        phone="13812345678",
        company="杭州恒达机械有限公司",
        tags="VIP;老客户",
        region="浙江",
        city="杭州",
        industry="制造业",
    )
    make_customer("李四", team=team_east, gender="F", region="上海")
    make_order(zhang, "1288.00", "2026-10-20", product="数控机床配件")
    make_complaint(zhang, "2026-11-02", description="配件尺寸不对,影响生产")
    make_contact(zhang, "survey", "2026-11-10", text="回访满意", nps=9)

    login(page, live_server, agent_li)
    expect(page.get_by_role("heading", name="客户")).to_be_visible()
    expect(page.locator("tr.customer-row")).to_have_count(2)
    shot(page, "customer-list")

    page.get_by_label("搜索").fill("zs")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("tr.customer-row")).to_have_count(1)
    row = page.locator("tr.customer-row").first
    expect(row).to_contain_text("138****5678")
    expect(row).not_to_contain_text("13812345678")

    row.get_by_role("link", name="张三 先生").click()
    expect(page.get_by_role("heading", name=re.compile("张三 先生"))).to_be_visible()
    expect(page.get_by_test_id("phone")).to_have_text("138****5678")
    expect(page.locator(".timeline-entry")).to_have_count(3)
    expect(page.locator(".timeline-entry").first).to_contain_text("NPS 9")

    page.get_by_label("添加备注").fill("客户希望下周二上午回电")
    page.get_by_role("button", name="保存备注").click()
    expect(page.locator(".timeline-entry").first).to_contain_text("客户希望下周二上午回电")
    expect(page.locator(".timeline-entry")).to_have_count(4)

    page.get_by_role("button", name="查看号码").click()
    expect(page.get_by_test_id("phone")).to_have_text("13812345678")
    shot(page, "customer-360")


def test_wrong_password_is_refused(page, live_server, agent_li):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("li")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名或密码不正确")).to_be_visible()
