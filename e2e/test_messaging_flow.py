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
