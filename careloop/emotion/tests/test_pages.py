"""The 360 timeline shows each contact's emotion, high risk and its cues."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.customers.services import customer_note_add, interaction_create
from careloop.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhang(team_east):
    return make_customer("张三", team=team_east)


def test_timeline_badges(client, agent_li, zhang):
    interaction_create(
        actor=agent_li,
        customer=zhang,
        kind="complaint",
        channel="phone",
        text="再不处理就去12315投诉",
    )
    customer_note_add(actor=agent_li, customer=zhang, text="客户表示非常满意")
    customer_note_add(actor=agent_li, customer=zhang, text="约周五上门安装")
    client.force_login(agent_li)
    html = client.get(reverse("customers:detail", args=[zhang.pk])).content.decode()
    assert html.count('class="badge emotion') == 2
    assert (
        '<span class="badge emotion danger" data-emotion="angry" title="情绪线索:12315">'
        "情绪:愤怒 · 高风险</span>"
    ) in html
    assert '<span class="muted emotion-cues">「12315」</span>' in html
    assert (
        '<span class="badge emotion ok" data-emotion="satisfied" title="情绪线索:非常满意">'
        "情绪:满意</span>"
    ) in html


def test_note_added_by_htmx_shows_its_badge(client, agent_li, zhang):
    client.force_login(agent_li)
    response = client.post(
        reverse("customers:note_add", args=[zhang.pk]),
        {"text": "客户说要找律师起诉我们"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "情绪:愤怒 · 高风险" in html
    assert "「律师、起诉」" in html


def test_badges_add_no_query(client, agent_li, zhang):
    client.force_login(agent_li)
    counts = []
    for text in ("约周五上门安装", "我要去消协投诉"):
        customer_note_add(actor=agent_li, customer=zhang, text=text)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("customers:detail", args=[zhang.pk]))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_other_team_cannot_see_the_timeline(client, agent_chen, agent_li, zhang):
    customer_note_add(actor=agent_li, customer=zhang, text="我要去消协投诉")
    client.force_login(agent_chen)
    assert client.get(reverse("customers:detail", args=[zhang.pk])).status_code == 404
