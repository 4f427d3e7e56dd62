"""A supervisor reads the message log: a suppressed marketing message says why; once the
dispatch job has run, the sent message shows on the customer's 360 timeline."""

from datetime import timedelta

from playwright.sync_api import expect

from careloop.core import clock
from careloop.customers.tests.factories import make_customer
from careloop.messaging.services import message_schedule, messages_dispatch
from e2e.conftest import login


def test_supervisor_sees_sent_and_suppressed_messages(
    page, live_server, supervisor_zhao, team_east, shot
):
    zhang = make_customer("张三", team=team_east, gender="M", phone="13812345678")
    earlier = clock.now() - timedelta(hours=1)
    message_schedule(
        customer=zhang, purpose="wakeup", body="张先生,好久不见,送您一张 50 元券",
        marketing=True, not_before=earlier, respect_quiet_hours=False,
    )  # fmt: skip
    message_schedule(
        customer=zhang, purpose="birthday", body="张先生,生日快乐", marketing=True,
        not_before=earlier + timedelta(days=2),
    )  # fmt: skip
    messages_dispatch()

    login(page, live_server, supervisor_zhao)
    page.goto(f"{live_server.url}/messages/")
    rows = page.locator("tr.message-row")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("table")).to_contain_text("138****5678")
    shot(page, "messages-list")

    page.get_by_role("link", name="已抑制 1").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("频率上限")
    expect(rows.first).to_contain_text("生日关怀")

    page.get_by_role("link", name="已发送 1").click()
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name="张三 先生").click()
    expect(page.get_by_text("张先生,好久不见,送您一张 50 元券 回T退订")).to_be_visible()
    shot(page, "messages-timeline")


def test_agent_records_an_opt_out_heard_on_the_phone(page, live_server, agent_li, team_east, shot):
    zhang = make_customer("张三", team=team_east, gender="M", phone="13812345678")
    pending = message_schedule(
        customer=zhang, purpose="holiday", body="张先生,中秋快乐", marketing=True,
        not_before=clock.now() + timedelta(days=3),
    )  # fmt: skip

    login(page, live_server, agent_li)
    page.goto(f"{live_server.url}/messages/")
    page.get_by_role("link", name="退订名单").click()
    form = page.locator("form.opt-out-form")
    form.get_by_label("客户手机").fill("138 1234 5678")
    form.get_by_label("备注").fill("客户来电要求不再发送促销短信")
    form.get_by_role("button", name="登记退订").click()
    expect(page.get_by_text("已登记 张三 先生 退订营销消息")).to_be_visible()
    expect(page.locator("tr.opt-out-row")).to_have_count(1)
    expect(page.locator("tr.opt-out-row")).to_contain_text("138****5678")
    shot(page, "messages-opt-outs")

    page.goto(f"{live_server.url}/messages/?status=suppressed")
    expect(page.locator("tr.message-row")).to_have_count(1)
    expect(page.locator("tr.message-row")).to_contain_text("已退订")
    pending.refresh_from_db()
    assert pending.suppressed_reason == "opt_out"
