"""/api/v1/messages (scoped list) and /messages/inbound (the SMS gateway's replies)."""

import pytest

from careloop.accounts.tests.apiclient import api_as
from careloop.customers.tests.factories import at, make_customer
from careloop.messaging.models import MessageOptOut, ScheduledMessage
from careloop.messaging.services import message_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def messages(team_east, team_south):
    east = make_customer("张三", team=team_east, external_id="C-E1", phone="13812345678")
    south = make_customer("王五", team=team_south, external_id="C-S1")
    a = message_schedule(
        customer=east,
        purpose="wakeup",
        body="好久不见",
        marketing=True,
        not_before=at("2026-11-10 22:00"),
    )
    b = message_schedule(
        customer=east,
        purpose="birthday",
        body="生日快乐",
        marketing=True,
        not_before=at("2026-11-12 10:00"),
    )
    c = message_schedule(
        customer=south, purpose="complaint_ack", body="已受理", not_before=at("2026-11-10 10:00")
    )
    return a, b, c


def test_list_is_scoped_and_filtered(supervisor_zhao, admin_wang, messages):
    response = api_as(supervisor_zhao).get("/messages")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    first = body["items"][0]
    assert first["purpose"] == "birthday"
    assert (first["status"], first["suppressed_reason"]) == ("suppressed", "frequency_cap")
    assert body["items"][1]["send_at"] == "2026-11-11T09:00:00+08:00"  # quiet hours shift
    assert body["items"][1]["customer_external_id"] == "C-E1"
    admin = api_as(admin_wang)
    assert admin.get("/messages").json()["count"] == 3
    assert admin.get("/messages", {"status": "suppressed"}).json()["count"] == 1
    assert admin.get("/messages", {"purpose": "complaint_ack"}).json()["count"] == 1


def test_inbound_t_opts_out(admin_wang, messages):
    response = api_as(admin_wang).post("/messages/inbound", {"phone": "138 1234 5678", "body": "T"})
    assert response.status_code == 200, response.content
    assert response.json() == {"matched": 1, "opted_out": True}
    assert MessageOptOut.objects.count() == 1
    assert ScheduledMessage.objects.filter(suppressed_reason="opt_out").count() == 1


def test_inbound_is_admin_only_and_validated(agent_li, admin_wang, messages):
    refused = api_as(agent_li).post("/messages/inbound", {"phone": "13812345678", "body": "T"})
    assert refused.status_code == 403
    assert not MessageOptOut.objects.exists()
    bad = api_as(admin_wang).post("/messages/inbound", {"phone": "12", "body": "T"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "phone"
    unknown = api_as(admin_wang).post("/messages/inbound", {"phone": "13900001111", "body": "T"})
    assert unknown.json() == {"matched": 0, "opted_out": False}
