"""Customer list and 360 pages as each role sees them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditLog
from careloop.customers.models import Customer, Interaction
from careloop.customers.tests.factories import (
    make_complaint,
    make_contact,
    make_customer,
    make_order,
)

pytestmark = pytest.mark.django_db


def rows(response) -> int:
    return response.content.decode().count('class="customer-row"')


@pytest.fixture
def east_customers(team_east, agent_li):
    zhang = make_customer(
        "张三",
        team=team_east,
        gender="M",
        phone="138 1234 5678",
        company="杭州恒达机械有限公司",
        tags="VIP;老客户",
        region="浙江",
        industry="制造业",
    )
    li = make_customer("李四", team=team_east, gender="F", region="上海", industry="零售")
    own = make_customer("王五", owner=agent_li, region="江苏")
    return zhang, li, own


def test_list_requires_login(client):
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("张三", ["张三"]),
        ("张", ["张三"]),
        ("zs", ["张三"]),
        ("zhangsan", ["张三"]),
        ("13812345678", ["张三"]),
        ("138-1234-5678", ["张三"]),
        ("5678", ["张三"]),
        ("杭州恒达", ["张三"]),
        ("VIP", ["张三"]),
        ("老客户", ["张三"]),
        ("ls", ["李四"]),
        ("赵", []),
    ],
)
def test_search(client, supervisor_zhao, east_customers, q, expected):
    client.force_login(supervisor_zhao)
    response = client.get(reverse("customers:list"), {"q": q})
    names = [c.name for c in response.context["customers"]]
    assert names == expected


def test_filters_and_sort(client, admin_wang, east_customers, agent_li):
    zhang, li, _ = east_customers
    make_order(zhang, "900.00")
    make_order(li, "50.00")
    client.force_login(admin_wang)
    url = reverse("customers:list")

    def names(**params):
        return [c.name for c in client.get(url, params).context["customers"]]

    assert names(region="浙江") == ["张三"]
    assert names(industry="零售") == ["李四"]
    assert names(owner=agent_li.pk) == ["王五"]
    assert names(tag="VIP") == ["张三"]
    by_spend = client.get(url, {"sort": "-spend"}).context["customers"]
    assert [c.name for c in by_spend][:2] == ["张三", "李四"]
    by_name = client.get(url, {"sort": "name"}).context["customers"]
    assert [c.name for c in by_name] == sorted(["张三", "李四", "王五"])


def test_scope_per_role(
    client, team_south, admin_wang, supervisor_zhao, agent_li, agent_chen, east_customers
):
    make_customer("赵六", team=team_south)
    url = reverse("customers:list")
    expected = {admin_wang: 4, supervisor_zhao: 2, agent_li: 3, agent_chen: 1}
    for user, n in expected.items():
        client.force_login(user)
        assert rows(client.get(url)) == n, user.username


def test_agent_cannot_open_other_team_customer(client, agent_chen, east_customers):
    client.force_login(agent_chen)
    response = client.get(reverse("customers:detail", args=[east_customers[0].pk]))
    assert response.status_code == 404


def test_pagination(client, admin_wang, team_east):
    Customer.objects.bulk_create([Customer(name=f"客户{i:03d}", team=team_east) for i in range(60)])
    client.force_login(admin_wang)
    first = client.get(reverse("customers:list"))
    assert rows(first) == 25
    assert "共 60 位客户" in first.content.decode()
    assert "第 1 / 3 页" in first.content.decode()
    last = client.get(reverse("customers:list"), {"page": 3})
    assert rows(last) == 10


def test_list_query_count_does_not_grow(client, admin_wang, team_east, django_assert_num_queries):
    for i in range(30):
        make_customer(f"客户{i}", team=team_east, tags=["VIP", f"标签{i % 3}"])
    client.force_login(admin_wang)
    client.get(reverse("customers:list"))  # warm the filter-choices cache
    # session, user, count, page, tags of the page, owners menu
    with django_assert_num_queries(6):
        response = client.get(reverse("customers:list"))
    assert rows(response) == 25
    assert response.content.decode().count('class="tag"') == 50


def test_phone_masked_for_agent_full_for_supervisor(
    client, agent_li, supervisor_zhao, east_customers
):
    zhang = east_customers[0]
    client.force_login(agent_li)
    page = client.get(reverse("customers:detail", args=[zhang.pk])).content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    listing = client.get(reverse("customers:list")).content.decode()
    assert "138****5678" in listing and "13812345678" not in listing
    client.force_login(supervisor_zhao)
    page = client.get(reverse("customers:detail", args=[zhang.pk])).content.decode()
    assert "13812345678" in page


def test_phone_reveal_is_audited(client, agent_li, east_customers):
    zhang = east_customers[0]
    client.force_login(agent_li)
    response = client.post(reverse("customers:phone_reveal", args=[zhang.pk]))
    assert "13812345678" in response.content.decode()
    entry = AuditLog.objects.get(action="customer.phone_reveal")
    assert entry.actor == agent_li and entry.customer_id == zhang.pk


def test_360_shows_profile_summary_and_timeline(client, supervisor_zhao, east_customers):
    zhang = east_customers[0]
    make_order(zhang, "1200.00", "2026-01-10", product="数控机床配件")
    make_order(zhang, "300.50", "2026-11-01", product="润滑油")
    make_order(zhang, "80.00", "2024-06-01", product="旧订单")
    complaint = make_complaint(zhang, "2026-11-05", description="配件尺寸不对,影响生产")
    make_contact(zhang, "survey", "2026-11-10", text="服务不错", nps=9)
    make_contact(zhang, "callback", "2026-11-12", text="回访:已解决")
    client.force_login(supervisor_zhao)
    response = client.get(reverse("customers:detail", args=[zhang.pk]))
    page = response.content.decode()
    assert "张三 先生" in page and "张先生" in page
    assert "杭州恒达机械有限公司" in page and "VIP" in page
    summary = response.context["summary"]
    assert summary.order_count == 3
    assert summary.spend_12m == Decimal("1500.50")
    assert summary.first_order_at.date().isoformat() == "2024-05-31"  # UTC of 06-01 00:00 CST
    entries = [e["entry"] for e in response.context["entries"]]
    assert entries == ["callback", "survey", "complaint", "order", "order", "order"]
    assert "NPS 9" in page and "配件尺寸不对" in page
    assert "1 个投诉处理中" in page
    assert f'href="{reverse("complaints:detail", args=[complaint.pk])}"' in page  # opens the ticket


def test_timeline_paginates(client, supervisor_zhao, east_customers):
    zhang = east_customers[0]
    for day in range(1, 26):
        make_contact(zhang, "message", f"2026-10-{day:02d}", text=f"消息{day}")
    client.force_login(supervisor_zhao)
    first = client.get(reverse("customers:detail", args=[zhang.pk]))
    assert first.context["entries"][0]["detail"] == "消息25"
    assert len(first.context["entries"]) == 20
    second = client.get(reverse("customers:timeline", args=[zhang.pk]), {"page": 2}).content
    html = second.decode()
    assert html.count('class="timeline-entry"') == 5
    assert html.index("消息5") < html.index("消息1\n") and "消息6" not in html
    assert "第 2 / 2 页" in html


def test_360_query_count(client, supervisor_zhao, east_customers, django_assert_num_queries):
    zhang = east_customers[0]
    for i in range(15):
        make_order(zhang, "10.00", f"2026-09-{i + 1:02d}")
        make_contact(zhang, "note", f"2026-08-{i + 1:02d}")
    client.force_login(supervisor_zhao)
    # session, user, customer, tags, 12-month aggregate, orders, open complaints, audit,
    # timeline count, timeline page, authors of the page, the user's team (top bar)
    with django_assert_num_queries(12):
        client.get(reverse("customers:detail", args=[zhang.pk]))


def test_agent_adds_note_and_it_is_audited(client, agent_li, east_customers):
    zhang = east_customers[0]
    client.force_login(agent_li)
    response = client.post(
        reverse("customers:note_add", args=[zhang.pk]),
        {"text": "客户希望周末联系"},
        HTTP_HX_REQUEST="true",
    )
    assert "客户希望周末联系" in response.content.decode()
    note = Interaction.objects.get(kind="note")
    assert note.author == agent_li
    assert AuditLog.objects.filter(action="customer.note", customer_id=zhang.pk).count() == 1


def test_empty_note_is_refused_and_nothing_written(client, agent_li, east_customers):
    client.force_login(agent_li)
    response = client.post(
        reverse("customers:note_add", args=[east_customers[0].pk]),
        {"text": "  "},
        HTTP_HX_REQUEST="true",
    )
    assert "备注内容不能为空" in response.content.decode()
    assert not Interaction.objects.filter(kind="note").exists()
    assert not AuditLog.objects.filter(action="customer.note").exists()


def test_agent_edits_tags_audited(client, agent_li, east_customers):
    zhang = east_customers[0]
    client.force_login(agent_li)
    client.post(reverse("customers:tags_edit", args=[zhang.pk]), {"tags": "VIP、价格敏感"})
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["VIP", "价格敏感"]
    entry = AuditLog.objects.get(action="customer.tags")
    assert entry.detail == {"before": ["VIP", "老客户"], "after": ["VIP", "价格敏感"]}


def test_agent_cannot_note_other_team(client, agent_chen, east_customers):
    client.force_login(agent_chen)
    response = client.post(
        reverse("customers:note_add", args=[east_customers[0].pk]), {"text": "x"}
    )
    assert response.status_code == 404
    assert not Interaction.objects.exists()


def test_count_is_capped_on_huge_lists(client, admin_wang, team_east, monkeypatch):
    monkeypatch.setattr("careloop.customers.views.COUNT_CAP", 50)
    Customer.objects.bulk_create([Customer(name=f"客户{i:03d}", team=team_east) for i in range(60)])
    client.force_login(admin_wang)
    page = client.get(reverse("customers:list")).content.decode()
    assert "超过 50 位客户,请缩小搜索范围" in page
    assert page.count('class="customer-row"') == 25
    assert "下一页" in page
    second = client.get(reverse("customers:list"), {"page": 2}).content.decode()
    assert second.count('class="customer-row"') == 25 and "下一页" not in second


def test_one_customer_check_matches_the_queryset_scope(
    admin_wang, supervisor_zhao, agent_li, agent_chen, team_east, team_south
):
    customers = [
        make_customer("东", team=team_east),
        make_customer("南", team=team_south),
        make_customer("李的南方客户", team=team_south, owner=agent_li),
        make_customer("无团队", team=None),
        make_customer("李的无团队客户", team=None, owner=agent_li),
    ]
    Customer.objects.filter(name="李的南方客户").update(team=team_south)  # owner's team differs
    for user in (admin_wang, supervisor_zhao, agent_li, agent_chen):
        for c in Customer.objects.filter(pk__in=[c.pk for c in customers]):
            expected = Customer.objects.visible_to(user).filter(pk=c.pk).exists()
            assert c.is_visible_to(user) == expected, (user.username, c.name)
    assert Customer.objects.visible_to(agent_li).count() == 3  # 东 + his two elsewhere
