"""Hand-made customers for the planner tests: segment fields are set directly (the tests are
about the plan, not segmentation)."""

from __future__ import annotations

from datetime import date

from careloop.care.models import CallbackTask, CareRule
from careloop.care.planner import plan_day
from careloop.customers.models import Customer
from careloop.customers.services import EDITABLE_FIELDS
from careloop.customers.tests.factories import at, make_customer


def customer(name: str = "张三", *, team=None, owner=None, **fields) -> Customer:
    """A customer; fields outside the editable ones (lifecycle, tier, first_order_at …) are
    written straight to the row. Dates given as 'YYYY-MM-DD[ HH:MM]' strings."""
    editable = {k: fields.pop(k) for k in list(fields) if k in EDITABLE_FIELDS}
    made = make_customer(name, team=team, owner=owner, **editable)
    for key in ("first_order_at", "last_order_at"):
        if isinstance(fields.get(key), str):
            fields[key] = at(fields[key])
    if fields:
        Customer.objects.filter(pk=made.pk).update(**fields)
        made.refresh_from_db()
    return made


def only(*purposes: str) -> None:
    """Enable only these purposes' rules; no hold-out unless a test sets it."""
    CareRule.objects.update(enabled=False, holdout_share=0)
    CareRule.objects.filter(purpose__in=purposes).update(enabled=True)


def rule(purpose: str) -> CareRule:
    return CareRule.objects.get(purpose=purpose)


def plan(as_of: date, **kwargs):
    return plan_day(as_of=as_of, **kwargs)


def created(result, purpose: str | None = None) -> dict[str, dict]:
    """external id → created entry (JSON form)."""
    return {
        e["customer_external_id"]: e
        for e in result.to_json()["created"]
        if purpose is None or e["purpose"] == purpose
    }


def suppressed(result) -> dict[tuple[str, str], str]:
    """(external id, purpose) → reason code."""
    return {
        (e["customer_external_id"], e["purpose"]): e["reason_code"]
        for e in result.to_json()["suppressed"]
    }


def task_of(c: Customer, purpose: str) -> CallbackTask:
    return CallbackTask.objects.get(customer=c, purpose=purpose)
