"""Creating and editing a customer on the page; every change is audited."""

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditLog
from careloop.customers.models import Customer
from careloop.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_agent_creates_customer_in_own_team(client, agent_li):
    client.force_login(agent_li)
    response = client.post(
        reverse("customers:new"),
        {
            "name": "周杰",
            "gender": "M",
            "phone": "139 1111 2222",
            "region": "浙江",
        },
    )
    customer = Customer.objects.get(name="周杰")
    assert response.status_code == 302 and response["Location"].endswith(f"/{customer.pk}/")
    assert customer.phone == "+8613911112222" and customer.phone_tail == "2222"
    assert customer.team == agent_li.team and customer.name_initials == "zj"
    assert AuditLog.objects.filter(action="customer.create", customer_id=customer.pk).exists()


def test_bad_phone_is_shown_on_the_field_and_nothing_saved(client, agent_li):
    client.force_login(agent_li)
    response = client.post(reverse("customers:new"), {"name": "周杰", "phone": "12345"})
    assert response.status_code == 200
    assert "手机号码无效:12345" in response.content.decode()
    assert response.context["form"].errors["phone"]
    assert not Customer.objects.exists()


def test_edit_records_changes(client, supervisor_zhao, agent_li, team_east):
    zhang = make_customer("张三", team=team_east, region="浙江")
    client.force_login(supervisor_zhao)
    form = client.get(reverse("customers:edit", args=[zhang.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"region": "上海", "owner": agent_li.pk, "do_not_contact": "on"})
    data.pop("team", None)
    response = client.post(reverse("customers:edit", args=[zhang.pk]), data)
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert zhang.region == "上海" and zhang.owner == agent_li and zhang.do_not_contact
    entry = AuditLog.objects.get(action="customer.update")
    assert entry.detail["changes"]["region"] == ["浙江", "上海"]
    assert entry.detail["changes"]["do_not_contact"] == [False, True]


def test_duplicate_phone_refused(client, supervisor_zhao, team_east):
    make_customer("张三", team=team_east, phone="13812345678")
    li = make_customer("李四", team=team_east, phone="13800000000")
    client.force_login(supervisor_zhao)
    data = {"name": "李四", "phone": "13812345678"}
    response = client.post(reverse("customers:edit", args=[li.pk]), data)
    assert "手机号已属于客户 张三" in response.content.decode()
    li.refresh_from_db()
    assert li.phone == "+8613800000000"


def test_only_admin_can_move_team(client, agent_li, admin_wang, team_east):
    zhang = make_customer("张三", team=team_east)
    client.force_login(agent_li)
    assert (
        "team" not in client.get(reverse("customers:edit", args=[zhang.pk])).context["form"].fields
    )
    client.force_login(admin_wang)
    assert "team" in client.get(reverse("customers:edit", args=[zhang.pk])).context["form"].fields


def test_agent_cannot_edit_other_team(client, agent_chen, team_east):
    zhang = make_customer("张三", team=team_east)
    client.force_login(agent_chen)
    assert client.post(reverse("customers:edit", args=[zhang.pk]), {"name": "x"}).status_code == 404
