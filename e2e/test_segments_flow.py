"""A supervisor computes segments from the segments page, follows a count to the customer list
and sees the segment card with its reasons on the 360 page."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from careloop.core import clock
from careloop.customers.tests.factories import make_customer, make_order
from e2e.conftest import login


def test_supervisor_segments_and_follows_dormant_customers(
    page, live_server, supervisor_zhao, team_east, shot
):
    today = clock.today()

    def day(n: int) -> str:
        return f"{today - timedelta(days=n):%Y-%m-%d} 10:00"

    zhang = make_customer("张三", team=team_east, gender="M")
    make_order(zhang, "1288.00", day(5))
    make_order(zhang, "300.00", day(150))
    li = make_customer("李四", team=team_east, gender="F")
    make_order(li, "99.00", day(75))
    make_order(li, "99.00", day(200))
    make_customer("王五", team=team_east)

    login(page, live_server, supervisor_zhao)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="客户分群").click()
    expect(page.get_by_role("heading", name="客户分群", exact=True)).to_be_visible()
    page.get_by_role("button", name="立即计算").click()
    expect(page.get_by_test_id("run-status")).to_have_text("已完成")
    page.get_by_role("link", name="查看分布").click()
    # ECharts drew both charts (a canvas each) from the page's own data, offline.
    expect(page.get_by_test_id("chart-groups").locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("chart-rfm").locator("canvas")).to_have_count(1)
    shot(page, "segments")

    row = page.get_by_role("row", name=re.compile("沉睡"))
    row.get_by_role("link", name="1").click()
    expect(page.locator("tr.customer-row")).to_have_count(1)
    expect(page.locator("tr.customer-row")).to_contain_text("沉睡")
    shot(page, "customer-list-dormant")

    page.get_by_role("link", name="李四 女士").click()
    expect(page.get_by_test_id("lifecycle")).to_have_text("沉睡")
    expect(page.get_by_test_id("health-reasons")).to_contain_text("最近一次下单 75 天前")
    shot(page, "customer-360-segment")
