"""A supervisor filters the customer list, saves "华东 制造业 A 类 沉睡" as a segment, finds it on
the saved-segments page with its live count and opens its customers."""

from playwright.sync_api import expect

from careloop.customers.models import Customer
from careloop.customers.tests.factories import make_customer
from e2e.conftest import login


def test_supervisor_saves_a_segment_and_opens_its_customers(
    page, live_server, supervisor_zhao, team_east, shot
):
    east = {"team": team_east, "region": "华东", "industry": "制造业"}
    sleepy = [make_customer(n, **east) for n in ("张三", "李四")]
    make_customer("王五", **east)  # 华东 制造业 but active
    make_customer("赵六", team=team_east, region="华南", industry="制造业")
    Customer.objects.filter(pk__in=[c.pk for c in sleepy]).update(lifecycle="dormant", tier="A")

    login(page, live_server, supervisor_zhao)
    filters = page.locator("form.filters")
    for label, value in (
        ("地区", "华东"),
        ("行业", "制造业"),
        ("价值等级", "A 类"),
        ("生命周期", "沉睡"),
    ):
        filters.get_by_label(label).select_option(label=value)
    expect(page.locator("tr.customer-row")).to_have_count(2)
    shot(page, "segments-saved-list-filtered")

    page.get_by_role("link", name="保存为分群").click()
    expect(page.get_by_role("heading", name="保存为分群")).to_be_visible()
    expect(page.locator("#live-count")).to_have_text("当前 2 位客户")
    page.get_by_label("分群名称").fill("华东 制造业 A 类 沉睡")
    # The live count follows the filters as they change.
    form = page.locator("#segment-form")
    form.get_by_label("生命周期").select_option(label="全部")
    form.get_by_label("价值等级").select_option(label="全部")
    expect(page.locator("#live-count")).to_have_text("当前 3 位客户")
    form.get_by_label("生命周期").select_option(label="沉睡")
    form.get_by_label("价值等级").select_option(label="A 类")
    expect(page.locator("#live-count")).to_have_text("当前 2 位客户")
    shot(page, "segments-saved-form")
    page.get_by_role("button", name="保存分群").click()

    expect(page.get_by_role("heading", name="保存的分群")).to_be_visible()
    expect(page.get_by_text("已保存分群 华东 制造业 A 类 沉睡")).to_be_visible()
    row = page.locator("tr.segment-row", has_text="华东 制造业 A 类 沉睡")
    expect(row).to_contain_text("华东 · 制造业 · A 类 · 沉睡")
    expect(row.locator(".live-count")).to_have_text("当前 2 位客户")
    shot(page, "segments-saved")

    row.get_by_role("link", name="查看客户").click()
    expect(page.get_by_test_id("segment-chip")).to_contain_text("华东 制造业 A 类 沉睡")
    expect(page.locator("tr.customer-row")).to_have_count(2)
    expect(page.get_by_text("共 2 位客户")).to_be_visible()
    shot(page, "segments-saved-customers")
    page.get_by_role("link", name="× 移除分群").click()
    expect(page.locator("tr.customer-row")).to_have_count(4)
