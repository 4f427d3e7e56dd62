from datetime import date

import pytest

from careloop.accounts.models import AuditLog
from careloop.care.models import CallbackTask
from careloop.complaints import services
from careloop.complaints.models import Complaint
from careloop.core.errors import DomainError

from .factories import at, frozen, make_ticket, run_to_resolved


def _check_task(complaint, status="open"):
    return CallbackTask.objects.create(
        customer=complaint.customer,
        purpose="resolution_check",
        priority="high",
        priority_rank=1,
        method="phone",
        due_at=at("2026-11-26 10:00"),
        status=status,
        plan_date=date(2026, 11, 26),
        source_type="complaint",
        source_id=complaint.pk,
    )


def test_resolve_needs_a_progress_update_sent_to_the_customer(db, outbox, agent_li):
    complaint = make_ticket()
    services.complaint_solution_set(
        complaint=complaint, user=agent_li, solution_type="cognitive", solution="发使用视频"
    )
    with pytest.raises(services.ProgressUpdateMissing) as exc:
        services.complaint_resolve(complaint=complaint, user=agent_li)
    assert exc.value.message == "解决前至少要向客户发送一次进度通知"
    complaint.refresh_from_db()
    assert complaint.status == "open"
    services.complaint_progress_send(complaint=complaint, user=agent_li, text="视频已发送")
    assert services.complaint_resolve(complaint=complaint, user=agent_li).status == "resolved"
    assert [p for p, _c, _b in outbox] == ["complaint_progress"]


def test_compensation_needs_options_and_the_customer_s_choice(db, outbox, agent_li):
    complaint = make_ticket()
    with pytest.raises(DomainError) as exc:
        services.complaint_solution_set(
            complaint=complaint, user=agent_li, solution_type="compensation", solution="赔"
        )
    assert exc.value.field == "options"
    services.complaint_solution_set(
        complaint=complaint,
        user=agent_li,
        solution_type="compensation",
        solution="三选一",
        options=[{"label": "20 元券", "amount": "20"}, {"label": "全额退款", "amount": 199}],
    )
    services.complaint_progress_send(complaint=complaint, user=agent_li, text="方案已发给您")
    with pytest.raises(DomainError) as exc:
        services.complaint_resolve(complaint=complaint, user=agent_li)
    assert (exc.value.field, exc.value.message) == ("option", "请先记录客户选择的补偿选项")
    refund = complaint.options.get(label="全额退款")
    services.complaint_option_choose(complaint=complaint, user=agent_li, option_id=refund.pk)
    complaint = services.complaint_resolve(complaint=complaint, user=agent_li)
    assert complaint.chosen_option == refund


def test_satisfied_check_closes_and_marks_the_task_done(db, outbox, agent_li):
    complaint = run_to_resolved(make_ticket(), agent_li)
    task = _check_task(complaint)
    closed = services.complaint_resolution_confirm(
        complaint=complaint, user=agent_li, satisfied=True, note="满意"
    )
    assert (closed.status, closed.stage) == ("closed", "closed")
    task.refresh_from_db()
    assert task.status == "done" and task.closed_at is not None
    assert AuditLog.objects.filter(action="complaint.close").count() == 1


def test_unsatisfied_check_reopens_with_fresh_clocks(db, outbox, agent_li):
    with frozen("2026-11-25 09:00") as t:
        complaint = make_ticket(severity="A")
        run_to_resolved(complaint, agent_li)
        t.set("2026-11-26 15:00")
        reopened = services.complaint_resolution_confirm(
            complaint=complaint, user=agent_li, satisfied=False, note="问题依旧"
        )
    assert (reopened.status, reopened.stage, reopened.reopen_count) == ("open", "reopened", 1)
    assert reopened.first_responded_at is None
    assert reopened.first_response_due == at("2026-11-26 17:00")
    assert reopened.resolved_at is None
    # resolving again needs a new progress update (the earlier one was before the reopen)
    services.complaint_respond(complaint=reopened, user=agent_li)
    with pytest.raises(services.ProgressUpdateMissing):
        services.complaint_resolve(complaint=reopened, user=agent_li)


def test_confirm_refuses_an_open_complaint(db, outbox, agent_li):
    complaint = make_ticket()
    with pytest.raises(DomainError) as exc:
        services.complaint_resolution_confirm(complaint=complaint, user=agent_li, satisfied=True)
    assert exc.value.code == "complaint_not_resolved"


def test_closed_complaint_refuses_changes(db, outbox, agent_li):
    complaint = run_to_resolved(make_ticket(), agent_li)
    services.complaint_resolution_confirm(complaint=complaint, user=agent_li, satisfied=True)
    with pytest.raises(services.ComplaintClosed):
        services.complaint_progress_send(complaint=complaint, user=agent_li, text="再说一句")
    assert Complaint.objects.get().updates.count() == 1


def test_step_needs_owner_or_department_and_a_solution(db, outbox, agent_li):
    complaint = make_ticket()
    with pytest.raises(DomainError) as exc:
        services.complaint_step_add(
            complaint=complaint, user=agent_li, title="补发", deadline=at("2026-11-26 10:00")
        )
    assert exc.value.field == "owner"
    with pytest.raises(DomainError) as exc:
        services.complaint_step_add(
            complaint=complaint,
            user=agent_li,
            title="补发",
            owner=agent_li,
            deadline=at("2026-11-26 10:00"),
        )
    assert exc.value.message == "请先确定方案,再安排执行步骤"
