"""Builders for complaint tests (through the real services) and a frozen clock."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from unittest import mock

from careloop.complaints import services
from careloop.complaints.models import Complaint, Department
from careloop.customers.tests.factories import at, make_customer

__all__ = [
    "at",
    "department",
    "diagnose",
    "frozen",
    "make_customer",
    "make_ticket",
    "run_to_resolved",
]


@contextlib.contextmanager
def frozen(moment: datetime | str):
    """Freeze `careloop.core.clock.now` (and Django's timezone.now) at `moment`; the yielded
    object moves it: `with frozen("2026-11-25 09:00") as t: t.tick(hours=2)`."""

    class Clock:
        def __init__(self, start):
            self.now = at(start) if isinstance(start, str) else start

        def tick(self, **delta):
            self.now += timedelta(**delta)
            return self.now

        def set(self, text: str):
            self.now = at(text)
            return self.now

    c = Clock(moment)
    with (
        mock.patch("careloop.core.clock.now", lambda: c.now),
        mock.patch("django.utils.timezone.now", lambda: c.now),
    ):
        yield c


def department(name: str = "售后部", head=None) -> Department:
    dept, _ = Department.objects.get_or_create(name=name)
    if head is not None:
        dept.head = head
        dept.save(update_fields=["head"])
    return dept


def make_ticket(*, actor=None, customer=None, **fields) -> Complaint:
    fields.setdefault("channel", "phone")
    fields.setdefault("severity", "B")
    fields.setdefault("category", "产品质量")
    fields.setdefault("description", "收到的保温杯漏水")
    if customer is None and "phone" not in fields and "email" not in fields:
        customer = make_customer()
    return services.complaint_create(actor=actor, customer=customer, **fields)


def diagnose(complaint: Complaint, user, root_cause: str = "goods") -> Complaint:
    return services.complaint_diagnose(
        complaint=complaint,
        user=user,
        nature="fact",
        what_happened="杯盖密封圈缺失",
        expected_outcome="换新",
        reported_before=False,
        root_cause=root_cause,
    )


def run_to_resolved(complaint: Complaint, user) -> Complaint:
    """Respond, diagnose, a process-fix solution, one progress update, resolve."""
    complaint.refresh_from_db()
    if complaint.first_responded_at is None:
        services.complaint_respond(complaint=complaint, user=user, note="已致电客户")
    if not complaint.nature:
        diagnose(complaint, user)
    services.complaint_solution_set(
        complaint=complaint, user=user, solution_type="process", solution="补发密封圈并质检追溯"
    )
    services.complaint_progress_send(complaint=complaint, user=user, text="密封圈已寄出")
    return services.complaint_resolve(complaint=complaint, user=user)
