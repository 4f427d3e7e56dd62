"""An agent writes a note with a threat on the 360 page; the timeline flags it at once."""

from playwright.sync_api import Page, expect

from careloop.customers.services import interaction_create
from careloop.customers.tests.factories import make_customer
from e2e.conftest import ARTIFACTS, login


def test_agent_sees_high_risk_contact_flagged(page: Page, live_server, agent_li, shot):
    zhang = make_customer("张三", team=agent_li.team, phone="13812345678")
    interaction_create(
        actor=agent_li,
        customer=zhang,
        kind="consult",
        channel="wechat",
        text="滤芯多久换一次？谢谢，服务很好",
    )
    login(page, live_server, agent_li)
    page.goto(f"{live_server.url}/customers/{zhang.pk}/")
    expect(page.locator(".badge.emotion.ok")).to_have_text("情绪:满意")

    page.get_by_label("添加备注").fill("客户来电：再不处理就起訴你們，还要发微博曝光，非常生气")
    page.get_by_role("button", name="保存备注").click()
    badge = page.locator(".badge.emotion.danger")
    expect(badge).to_have_text("情绪:愤怒 · 高风险")
    expect(badge).to_have_attribute("title", "情绪线索:起訴、发微博、曝光、生气")
    expect(page.locator(".emotion-cues")).to_have_text("「起訴、发微博、曝光、生气」")
    expect(page.get_by_text("138****5678")).to_be_visible()
    shot(page, "emotion_360")
    page.locator("#timeline").screenshot(path=str(ARTIFACTS / "emotion_timeline.png"))
