"""A freshly generated demo looks like a call center at work: each agent opens 今日回访 and
finds tasks, takes the next one and sees the record form; the supervisor's plan page shows
today's numbers; the admin sees complaints at several stages, one escalated. Screenshots of
each page go to artifacts/ (demo_*.png)."""

import pytest
from playwright.sync_api import expect

from careloop.accounts.models import User
from careloop.core import clock
from careloop.demo.generator import DEMO_PASSWORD, demo_generate
from e2e.conftest import login


@pytest.fixture
def demo(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return demo_generate(customers=300, seed=3, as_of=clock.today())


def as_user(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    login(page, live_server, User.objects.get(username=username), password=DEMO_PASSWORD)


def test_every_agent_finds_a_queue_and_the_record_form(demo, page, live_server, shot):
    for username in ("agent1", "agent2", "agent3"):
        as_user(page, live_server, username)
        page.goto(f"{live_server.url}/callbacks/")
        expect(page.get_by_role("heading", name="今日回访")).to_be_visible()
        rows = page.locator("a[href*='/callbacks/tasks/']")
        expect(rows.first).to_be_visible()
        assert rows.count() > 0, username
        shot(page, f"demo_queue_{username}")
    page.get_by_role("button", name="下一个任务").click()
    expect(page.get_by_text("回访记录表")).to_be_visible()
    shot(page, "demo_task_agent3")


def test_supervisor_plan_and_admin_complaints(demo, page, live_server, shot):
    as_user(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/care/plan/")
    expect(page.get_by_role("heading", name="今日计划")).to_be_visible()
    expect(page.get_by_text("投诉跟进").first).to_be_visible()
    shot(page, "demo_plan_supervisor")
    page.goto(f"{live_server.url}/callbacks/tickets/?status=")
    expect(page.locator("td", has_text="GD").first).to_be_visible()
    shot(page, "demo_tickets_supervisor")

    as_user(page, live_server, "admin")
    page.goto(f"{live_server.url}/complaints/")
    table = page.locator("table")
    for stage in ("待响应", "诊断中", "执行中", "已解决", "已关闭", "已重开"):
        expect(table.get_by_text(stage).first).to_be_visible()
    expect(table.get_by_text("已升级").first).to_be_visible()
    shot(page, "demo_complaints_admin")
    page.goto(f"{live_server.url}/messages/")
    expect(page.get_by_text("待发送").first).to_be_visible()
    shot(page, "demo_messages_admin")
