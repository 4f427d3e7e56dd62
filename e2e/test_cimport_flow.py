"""A supervisor imports complaints from a file; they appear in the workflow with a ticket number,
a stage and running SLA timers, like a complaint taken on the phone."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from careloop.core import clock
from careloop.customers.tests.factories import make_customer
from e2e.conftest import login


def test_imported_complaints_get_numbers_and_timers(
    page, live_server, supervisor_zhao, tmp_path, shot
):
    make_customer("张伟", gender="M", team=supervisor_zhao.team, external_id="C900")
    now = clock.local(clock.now())
    opened = (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    earlier = (now - timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    path = tmp_path / "投诉.csv"
    path.write_text(
        "投诉编号,客户编号,投诉时间,渠道,等级,类别,描述,状态,解决时间\n"
        f"T-1,C900,{opened},phone,C,产品质量,保温杯漏水,处理中,\n"
        f"T-0,C900,{earlier},phone,B,物流,快递延误,已解决,{opened}\n",
        encoding="utf-8-sig",
    )
    login(page, live_server, supervisor_zhao)
    page.goto(f"{live_server.url}/imports/upload/")
    page.get_by_label("类型").select_option("complaints")
    page.get_by_label("文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_role("button", name="开始导入").click()
    expect(page.get_by_text("导入完成")).to_be_visible()
    expect(page.get_by_text("新增 2")).to_be_visible()

    page.goto(f"{live_server.url}/complaints/")
    rows = page.locator("tr.complaint-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"TS{now:%Y%m%d}-0001")
    expect(rows.first).to_contain_text("待响应")
    expect(rows.nth(1)).to_contain_text("已解决")
    shot(page, "cimport-list")

    rows.first.get_by_role("link", name=re.compile(r"^TS")).click()
    expect(page.get_by_test_id("stage")).to_have_text("待响应")
    expect(page.get_by_test_id("timer").first).to_contain_text("剩余")
    expect(page.locator("ul.ticket-log")).to_contain_text("从导入文件受理")
    expect(page.locator("main")).to_contain_text("张伟")
    shot(page, "cimport-ticket")
