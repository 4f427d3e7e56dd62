"""Possible duplicates are listed for supervisors and merged without losing anything."""

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditLog
from careloop.customers.models import Customer, CustomerKey
from careloop.customers.tests.factories import make_contact, make_customer, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(team_east):
    a = make_customer(
        "张三", team=team_east, phone="13800005678", external_id="CRM-1", email="zs@example.com"
    )
    b = make_customer(
        "张三", team=team_east, phone="13900005678", external_id="SHOP-9", tags="VIP", region="浙江"
    )
    return a, b


def test_duplicates_listed_by_name_and_tail(client, supervisor_zhao, pair):
    make_customer("李四", team=pair[0].team, email="zs@example.com", phone="13700000001")
    client.force_login(supervisor_zhao)
    response = client.get(reverse("customers:duplicates"))
    groups = response.context["groups"]
    assert [(g["reason"], len(g["members"])) for g in groups] == [("name_phone", 2), ("email", 2)]
    assert "张三 · 尾号 5678" in response.content.decode()


def test_agent_may_not_see_duplicates(client, agent_li, pair):
    client.force_login(agent_li)
    assert client.get(reverse("customers:duplicates")).status_code == 403


def test_merge_moves_everything(client, supervisor_zhao, pair):
    a, b = pair
    make_order(a, "100.00")
    make_order(b, "50.00")
    make_contact(b, "consult")
    client.force_login(supervisor_zhao)
    response = client.post(reverse("customers:merge"), {"survivor": a.pk, "duplicate": b.pk})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=b.pk).exists()
    a.refresh_from_db()
    assert a.order_count == 2 and str(a.lifetime_spend) == "150.00"
    assert a.interactions.count() == 1
    assert a.region == "浙江" and list(a.tags.values_list("name", flat=True)) == ["VIP"]
    assert set(CustomerKey.objects.filter(customer=a).values_list("external_id", flat=True)) == {
        "CRM-1",
        "SHOP-9",
    }
    entry = AuditLog.objects.get(action="customer.merge")
    assert entry.detail["merged"]["external_id"] == "SHOP-9"
    assert entry.detail["moved"]["orders"] == 1
