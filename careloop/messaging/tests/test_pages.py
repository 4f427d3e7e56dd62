"""The messages page: scope per role, filters, masked phones, pinned query counts."""

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditLog
from careloop.customers.tests.factories import at, make_customer
from careloop.messaging.models import MessageOptOut
from careloop.messaging.services import message_schedule

pytestmark = pytest.mark.django_db


def schedule(customer, when="2026-11-10 10:00", **kwargs):
    kwargs.setdefault("purpose", "wakeup")
    kwargs.setdefault("body", "张先生,好久不见,送您一张 50 元券")
    kwargs.setdefault("marketing", True)
    return message_schedule(customer=customer, not_before=at(when), **kwargs)


@pytest.fixture
def east_and_south(team_east, team_south, agent_li):
    mine = make_customer("张三", team=team_east, owner=agent_li, phone="13812345678")
    east = make_customer("李四", team=team_east, gender="F")
    south = make_customer("王五", team=team_south)
    schedule(mine)
    schedule(mine, "2026-11-12 10:00")  # suppressed: frequency cap
    schedule(east, purpose="complaint_ack", marketing=False, body="您的投诉已受理")
    schedule(south, purpose="birthday", body="生日快乐")
    return mine, east, south


def test_supervisor_sees_their_team_with_masked_phones(client, supervisor_zhao, east_and_south):
    client.force_login(supervisor_zhao)
    response = client.get(reverse("messaging:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="message-row"') == 3
    assert "王五" not in html
    assert "138****5678" in html and "13812345678" not in html
    assert "频率上限" in html  # the suppression reason is shown
    assert "投诉受理确认" in html and "沉睡唤醒" in html
    assert 'data-status="suppressed">已抑制 <b>1</b>' in html


def test_admin_sees_all_and_agent_their_scope(client, admin_wang, agent_chen, east_and_south):
    client.force_login(admin_wang)
    assert client.get(reverse("messaging:list")).content.decode().count('class="message-row"') == 4
    client.force_login(agent_chen)  # south team
    html = client.get(reverse("messaging:list")).content.decode()
    assert html.count('class="message-row"') == 1
    assert "王五" in html


def test_filters_by_status_purpose_and_channel(client, supervisor_zhao, east_and_south):
    client.force_login(supervisor_zhao)
    url = reverse("messaging:list")
    assert client.get(url, {"status": "suppressed"}).content.decode().count("message-row") == 1
    assert client.get(url, {"purpose": "complaint_ack"}).content.decode().count("message-row") == 1
    assert client.get(url, {"channel": "wechat"}).content.decode().count("message-row") == 0
    bad = client.get(url, {"status": "nonsense"})  # an unknown value filters nothing
    assert bad.status_code == 200
    assert bad.content.decode().count("message-row") == 3


def test_query_count_is_pinned(client, supervisor_zhao, team_east, django_assert_num_queries):
    customers = [make_customer(f"客户{i}", team=team_east) for i in range(30)]
    for c in customers:
        schedule(c)
    client.force_login(supervisor_zhao)
    # session, user, count, page (with customers), status counts, team (base.html)
    with django_assert_num_queries(6):
        response = client.get(reverse("messaging:list"))
    assert response.content.decode().count('class="message-row"') == 25
    assert "共 30 条 · 第 1 / 2 页" in response.content.decode()
    page2 = client.get(reverse("messaging:list"), {"page": 2})
    assert page2.content.decode().count('class="message-row"') == 5


def test_login_required(client):
    response = client.get(reverse("messaging:list"))
    assert response.status_code == 302


# Opt-out list (退订名单)


def test_agent_records_an_opt_out_by_phone(client, agent_li, east_and_south):
    mine, _east, _south = east_and_south
    client.force_login(agent_li)
    response = client.post(
        reverse("messaging:opt_out_add"),
        {"phone": "138 1234 5678", "channel": "", "note": "客户来电要求"},
    )
    assert response.status_code == 302
    opt_out = MessageOptOut.objects.get()
    assert (opt_out.customer, opt_out.channel, opt_out.source) == (mine, "", "agent")
    entry = AuditLog.objects.get(action="message.opt_out")
    assert entry.actor == agent_li and entry.detail["note"] == "客户来电要求"
    html = client.get(reverse("messaging:opt_outs")).content.decode()
    assert "已登记 张三 退订营销消息" in html
    assert html.count('class="opt-out-row"') == 1
    assert "138****5678" in html
    assert "恢复营销消息" not in html  # agents cannot undo an opt-out


def test_opt_out_refusals_name_the_field(client, agent_li, east_and_south):
    _mine, _east, south = east_and_south
    client.force_login(agent_li)
    for phone, text in [("12", "手机号码无效"), (south.phone, "没有该号码的客户或无权查看")]:
        response = client.post(reverse("messaging:opt_out_add"), {"phone": phone})
        assert response.status_code == 400
        assert text in response.content.decode()
    assert not MessageOptOut.objects.exists()


def test_supervisor_restores_marketing_and_scope_is_enforced(
    client, supervisor_zhao, admin_wang, east_and_south
):
    mine, _east, south = east_and_south
    ours = MessageOptOut.objects.create(customer=mine, source="reply")
    theirs = MessageOptOut.objects.create(customer=south, source="reply")
    client.force_login(supervisor_zhao)
    html = client.get(reverse("messaging:opt_outs")).content.decode()
    assert html.count('class="opt-out-row"') == 1
    assert client.post(reverse("messaging:opt_out_remove", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("messaging:opt_out_remove", args=[ours.pk])).status_code == 302
    assert list(MessageOptOut.objects.all()) == [theirs]
    assert AuditLog.objects.get(action="message.opt_in").customer_id == mine.pk


def test_opt_out_list_query_count(client, supervisor_zhao, team_east, django_assert_num_queries):
    for i in range(30):
        MessageOptOut.objects.create(
            customer=make_customer(f"客户{i}", team=team_east), source="reply"
        )
    client.force_login(supervisor_zhao)
    with django_assert_num_queries(5):  # session, user, count, page with customers, team
        response = client.get(reverse("messaging:opt_outs"))
    assert response.content.decode().count('class="opt-out-row"') == 25


def test_one_customers_messages(client, supervisor_zhao, east_and_south):
    mine, _east, south = east_and_south
    client.force_login(supervisor_zhao)
    html = client.get(reverse("messaging:list"), {"customer": mine.pk}).content.decode()
    assert html.count('class="message-row"') == 2
    assert 'data-testid="customer-chip"' in html
    tabs = client.get(reverse("messaging:list"), {"customer": mine.pk, "status": "suppressed"})
    assert tabs.content.decode().count('class="message-row"') == 1
    outside = client.get(reverse("messaging:list"), {"customer": south.pk}).content.decode()
    assert outside.count('class="message-row"') == 0  # not in the supervisor's team
