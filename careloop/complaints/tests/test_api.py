from careloop.accounts.tests.apiclient import api_as
from careloop.complaints.models import Complaint

from .factories import frozen, make_customer, make_ticket


def test_whole_lifecycle_through_the_api(db, outbox, agent_li, supervisor_zhao):
    customer = make_customer("赵敏", team=agent_li.team, phone="13812345678")
    api = api_as(agent_li)
    with frozen("2026-11-25 10:00") as t:
        created = api.post(
            "/complaints",
            {
                "phone": "13812345678",
                "channel": "wechat",
                "severity": "A",
                "category": "停机",
                "product": "X1 注塑机",
                "description": "设备报警停机",
            },
        )
        assert created.status_code == 201, created.content
        body = created.json()
        cid = body["id"]
        assert body["number"] == "TS20261125-0001"
        assert body["customer_id"] == customer.pk
        assert body["first_response_due"] == "2026-11-25T12:00:00+08:00"
        t.tick(minutes=30)
        assert api.post(f"/complaints/{cid}/respond", {"note": "已回电"}).json()["stage"] == (
            "responded"
        )
        diag = api.post(
            f"/complaints/{cid}/diagnose",
            {
                "nature": "fact",
                "what_happened": "温控模块故障",
                "expected_outcome": "当天修复",
                "reported_before": True,
                "root_cause": "goods",
                "department": "技术部",
            },
        )
        assert diag.json()["root_cause"] == "goods"
        sol = api.post(
            f"/complaints/{cid}/solution",
            {
                "solution_type": "compensation",
                "solution": "上门维修并补偿",
                "options": [{"label": "延保一年"}, {"label": "返现", "amount": "500"}],
            },
        ).json()
        assert [o["amount"] for o in sol["options"]] == [None, "500.00"]
        api.post(f"/complaints/{cid}/choose", {"option_id": sol["options"][1]["id"]})
        step = api.post(
            f"/complaints/{cid}/steps",
            {
                "title": "上门更换温控模块",
                "deadline": "2026-11-25T18:00",
                "owner": "li",
                "department": "技术部",
            },
        )
        assert step.status_code == 201
        assert step.json()["department"] == "技术部"
        refused = api.post(f"/complaints/{cid}/resolve", {})
        assert (refused.status_code, refused.json()["code"]) == (409, "steps_open")
        api.post(f"/complaints/{cid}/steps/{step.json()['id']}/done")
        refused = api.post(f"/complaints/{cid}/resolve", {})
        assert refused.status_code == 409
        assert refused.json() == {
            "code": "progress_update_missing",
            "message": "解决前至少要向客户发送一次进度通知",
            "field": "progress",
        }
        assert api.post(f"/complaints/{cid}/progress", {"text": "已修复"}).status_code == 201
        assert api.post(f"/complaints/{cid}/resolve", {}).json()["status"] == "resolved"
        closed = api.post(f"/complaints/{cid}/confirm", {"satisfied": True}).json()
        assert (closed["status"], closed["stage"]) == ("closed", "closed")
        reopened = api.post(f"/complaints/{cid}/reopen", {"note": "又坏了"}).json()
    assert (reopened["status"], reopened["stage"], reopened["reopen_count"]) == (
        "open",
        "reopened",
        1,
    )


def test_list_is_scoped_and_filtered(db, outbox, agent_li, agent_chen):
    mine = make_ticket(customer=make_customer(team=agent_li.team), severity="A")
    make_ticket(customer=make_customer(team=agent_li.team), severity="C")
    make_ticket(customer=make_customer(team=agent_chen.team), severity="A")
    response = api_as(agent_li).get("/complaints", {"severity": "A"})
    assert response.json()["count"] == 1
    assert response.json()["items"][0]["number"] == mine.number
    assert api_as(agent_chen).get(f"/complaints/{mine.pk}").status_code == 404


def test_create_refusal_names_the_field(db, outbox, agent_li):
    response = api_as(agent_li).post(
        "/complaints", {"channel": "fax", "severity": "A", "description": "x", "phone": "138"}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "channel"
    assert Complaint.objects.count() == 0


def test_pause_and_resume_through_the_api(db, outbox, agent_li):
    complaint = make_ticket(customer=make_customer(team=agent_li.team), severity="A")
    api = api_as(agent_li)
    with frozen("2026-11-25 10:00") as t:
        paused = api.post(f"/complaints/{complaint.pk}/pause", {"note": "等客户拍照"}).json()
        assert (paused["stage"], paused["paused_at"]) == (
            "waiting_customer",
            "2026-11-25T10:00:00+08:00",
        )
        again = api.post(f"/complaints/{complaint.pk}/pause", {})
        assert (again.status_code, again.json()["code"]) == (400, "already_paused")
        t.tick(hours=3)
        resumed = api.post(f"/complaints/{complaint.pk}/resume", {}).json()
    assert (resumed["stage"], resumed["paused_hours"]) == ("responded", "3.00")
