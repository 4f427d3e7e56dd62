"""Builders for the agent workspace tests: tasks straight in the care table, departments."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from careloop.care.models import PRIORITY_RANK, CallbackTask
from careloop.complaints.models import Department
from careloop.complaints.tests.factories import frozen  # noqa: F401  (re-exported)
from careloop.core import clock
from careloop.customers.tests.factories import at, make_customer  # noqa: F401

_seq = count(1)


def make_task(
    customer,
    *,
    purpose: str = "wakeup",
    assignee=None,
    due_in: timedelta = timedelta(hours=4),
    priority: str = "medium",
    method: str = "phone",
    **fields,
) -> CallbackTask:
    fields.setdefault("status", CallbackTask.Status.OPEN)
    fields.setdefault("team", customer.team)
    fields.setdefault("plan_date", clock.today() - timedelta(days=next(_seq)))
    return CallbackTask.objects.create(
        customer=customer,
        purpose=purpose,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        method=method,
        due_at=fields.pop("due_at", None) or clock.now() + due_in,
        assignee=assignee,
        reason=fields.pop("reason", "沉睡客户:最近一次下单在 120 天前"),
        **fields,
    )


def department(name: str = "技术部", *, members=(), head=None) -> Department:
    dept, _ = Department.objects.get_or_create(name=name, defaults={"head": head})
    if members:
        dept.members.add(*members)
    return dept
