"""生日关怀: a birthday in the next 7 days: a message on the birthday (and a call for tier A).
A 29 February birthday is celebrated on 28 February in other years."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from django.db.models import Case, CharField, DateField, QuerySet, Value, When
from django.db.models.functions import Cast, Substr
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes._common import planned_within
from careloop.care.purposes.base import DUE_TIME, MESSAGE_TIME, PlanContext, Purpose, at_local
from careloop.care.purposes.base import gettext as _


def birthdays_ahead(as_of: date, days: int) -> dict[tuple[int, int], date]:
    """(month, day) of a birthday → the date it is celebrated, for D … D+days."""
    found: dict[tuple[int, int], date] = {}
    for offset in range(days + 1):
        day = as_of + timedelta(days=offset)
        found[(day.month, day.day)] = day
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            found[(2, 29)] = day
    return found


@register
class Birthday(Purpose):
    """A small touch before the birthday keeps the relationship warm."""

    key = "birthday"
    label = gettext_lazy("生日关怀")
    trigger_text = gettext_lazy("未来 7 天内过生日")
    precedence = 90
    holdout = True
    default_name = gettext_lazy("生日关怀:生日当天短信祝福,A 类另加电话")
    default_priority = "low"
    default_methods = {"A": ["sms", "phone"], "B": "sms", "C": "sms", "none": "sms"}
    default_params = {"days_ahead": 7}
    default_holdout_share = "0.05"
    default_script = "{{称呼}}您好,我是{{坐席}},提前祝您生日快乐!感谢您一直以来的支持。"

    def candidates(self, ctx: PlanContext) -> QuerySet:
        days = int(ctx.param("days_ahead", 7))
        ahead = {
            f"{m:02d}-{d:02d}": day for (m, d), day in birthdays_ahead(ctx.as_of, days).items()
        }
        # "MM-DD" of the ISO date text: a plain string compare on both engines (SQLite's
        # month/day lookups call a Python function for every row).
        month_day = Substr(Cast("birthday", CharField()), 6, 5)
        due_on = Case(
            *(When(month_day=key, then=Value(day)) for key, day in ahead.items()),
            output_field=DateField(),
        )
        return (
            ctx.customers.filter(birthday__isnull=False)
            .alias(month_day=month_day)
            .filter(month_day__in=list(ahead))
            .exclude(planned_within(self.key, ctx, days + 1))
            .annotate(due_on=due_on)
        )

    def due_at(self, row: dict, ctx: PlanContext, *, method: str, priority: str) -> datetime:
        return at_local(row["due_on"], DUE_TIME)

    def reason(self, row: dict, ctx: PlanContext) -> str:
        day = row["due_on"]
        return _("%(month)s月%(day)s日生日") % {"month": day.month, "day": day.day}

    def message_body(self, row: dict, ctx: PlanContext) -> str:
        return _("%(name)s,祝您生日快乐!感谢您一直以来的信任与支持。回复 T 退订") % {
            "name": row["salutation"]
        }

    def message_not_before(self, row: dict, ctx: PlanContext) -> datetime:
        return at_local(row["due_on"], MESSAGE_TIME)
