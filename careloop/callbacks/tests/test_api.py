"""/api/v1/screen-pop and the workspace endpoints, scoped and in the API's error shape."""

import pytest

from careloop.accounts.tests.apiclient import api_as
from careloop.callbacks.models import CallbackRecord, FollowUpTicket
from careloop.callbacks.tests.factories import make_task
from careloop.care.models import CallbackTask
from careloop.customers.tests.factories import make_complaint, make_contact

pytestmark = pytest.mark.django_db


def test_screen_pop_returns_customer_tasks_complaints_and_opening(
    agent_li, zhang, django_assert_num_queries
):
    task = make_task(zhang, assignee=agent_li, purpose="wakeup")
    complaint = make_complaint(zhang, number="TS20261101001")
    make_contact(zhang, kind="consult", text="咨询耗材价格", when="2026-11-01")
    api = api_as(agent_li)
    # token (+ last used), customer by phone (and the owner's team scope), tasks, complaints,
    # last contact
    with django_assert_num_queries(7):
        response = api.get("/screen-pop", {"phone": "+86 138-1234-5678"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customer"]["display_name"] == "张伟 先生"
    assert body["customer"]["phone"] == "138****5678"
    assert [t["id"] for t in body["open_tasks"]] == [task.pk]
    assert [c["id"] for c in body["open_complaints"]] == [complaint.pk]
    assert body["last_contact"]["text"] == "咨询耗材价格"
    assert body["opening"].startswith("张先生您好!正好我们有一项沉睡唤醒")


def test_screen_pop_outside_scope_or_unknown_is_404(agent_chen, zhang):
    api = api_as(agent_chen)
    response = api.get("/screen-pop", {"phone": "13812345678"})
    assert response.status_code == 404
    assert response.json()["field"] == "phone"
    bad = api.get("/screen-pop", {"phone": "abc"})
    assert (bad.status_code, bad.json()["field"]) == (400, "phone")


def test_supervisor_sees_the_full_number(supervisor_zhao, zhang):
    body = api_as(supervisor_zhao).get("/screen-pop", {"phone": "13812345678"}).json()
    assert body["customer"]["phone"] == "+8613812345678"


def test_claim_and_record_through_the_api(agent_li, zhang, tech):
    task = make_task(zhang, assignee=agent_li)
    api = api_as(agent_li)
    assert api.post("/callbacks/next").json() == {"task_id": task.pk}
    assert api.post("/callbacks/next").json() == {"task_id": None}
    bad = api.post(
        f"/callbacks/tasks/{task.pk}/record",
        {"outcome": "reached", "items": [{"kind": "issue", "text": "漏水"}]},
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "items")
    response = api.post(
        f"/callbacks/tasks/{task.pk}/record",
        {
            "outcome": "reached",
            "csat": 4,
            "satisfaction": "satisfied",
            "notes": "客户满意",
            "items": [
                {"kind": "issue", "text": "漏水", "urgency": "urgent", "department_id": tech.pk}
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = FollowUpTicket.objects.get()
    assert (body["task_status"], body["tickets"], body["attempt"]) == ("done", [ticket.pk], 1)
    again = api.post(f"/callbacks/tasks/{task.pk}/record", {"outcome": "reached"})
    assert (again.status_code, again.json()["code"]) == (409, "task_not_yours")
    assert CallbackRecord.objects.count() == 1


def test_resolve_ticket_through_the_api(agent_li, zhang, tech, tech_sun, agent_chen):
    task = make_task(zhang, assignee=agent_li, status="in_progress")
    api_as(agent_li).post(
        f"/callbacks/tasks/{task.pk}/record",
        {
            "outcome": "reached",
            "items": [{"kind": "issue", "text": "漏水", "department_id": tech.pk}],
        },
    )
    ticket = FollowUpTicket.objects.get()
    assert (
        api_as(agent_chen)
        .post(f"/callbacks/tickets/{ticket.pk}/resolve", {"resolution": "好"})
        .status_code
        == 404
    )
    response = api_as(tech_sun).post(
        f"/callbacks/tickets/{ticket.pk}/resolve", {"resolution": "已更换密封圈"}
    )
    assert response.status_code == 200, response.content
    check = CallbackTask.objects.get(purpose="resolution_check")
    assert response.json() == {
        "id": ticket.pk,
        "status": "resolved",
        "resolution_task_id": check.pk,
    }
