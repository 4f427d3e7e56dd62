"""Small query helpers the purposes share."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from careloop.care.purposes.base import PlanContext


def task_model():
    from careloop.care.models import CallbackTask

    return CallbackTask


def tasks_of(key: str, **filters):
    """Tasks of purpose `key` for the outer customer."""
    return task_model().objects.filter(customer_id=OuterRef("pk"), purpose=key, **filters)


def planned_within(key: str, ctx: PlanContext, days: int) -> Exists:
    """The customer got a task of this purpose on one of the `days` days before D."""
    return Exists(tasks_of(key, plan_date__gt=ctx.day(-days), plan_date__lt=ctx.as_of))


def ordered_since(ctx: PlanContext, days: int) -> Q:
    """An order within the last `days` days up to D (the order summary on Customer)."""
    return Q(last_order_at__gte=ctx.day_start(-(days - 1)))
