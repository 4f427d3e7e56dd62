"""An admin enters next year's Spring Festival on the calendar page before chinesecalendar
covers it, sees it among the coming holidays, and deletes a mistaken entry."""

from playwright.sync_api import expect

from e2e.conftest import login


def test_admin_enters_next_years_holidays(page, live_server, admin_wang, shot):
    login(page, live_server, admin_wang)
    page.goto(f"{live_server.url}/calendar/")
    expect(page.get_by_role("heading", name="节假日与工作日")).to_be_visible()
    expect(page.get_by_test_id("care-holidays")).to_contain_text("春节")

    form = page.locator("form.override-form")
    form.get_by_label("日期").fill("2027-02-08")
    form.get_by_label("安排").select_option(label="放假")
    form.get_by_label("名称").fill("春节")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存 2027-02-08 的安排")).to_be_visible()

    form = page.locator("form.override-form")
    form.get_by_label("日期").fill("2027-02-20")
    form.get_by_label("安排").select_option(label="上班(调休)")
    form.get_by_label("名称").fill("春节调休")
    form.get_by_role("button", name="保存").click()

    overrides = page.get_by_test_id("overrides")
    expect(overrides.locator("tr.override-row")).to_have_count(2)
    periods = page.get_by_test_id("periods")
    expect(periods).to_contain_text("2027-02-08")
    expect(periods).to_contain_text("春节调休")
    shot(page, "workcal-holidays")

    overrides.get_by_role("button", name="删除 2027-02-20").click()
    expect(page.get_by_text("已删除该日期的调整")).to_be_visible()
    expect(page.get_by_test_id("overrides").locator("tr.override-row")).to_have_count(1)

    page.locator("form.override-form").get_by_label("日期").fill("1999-01-01")
    page.locator("form.override-form").get_by_role("button", name="保存").click()
    expect(page.get_by_text("日期须在 2000–2100 年之间")).to_be_visible()
