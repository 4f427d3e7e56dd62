"""节日关怀: 7 days before 春节, 端午, 中秋 (lunar dates) and 元旦, customers who ordered in the
last 365 days get a greeting by message (tier A: a visit before 春节)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from careloop.care.purposes import register
from careloop.care.purposes._common import ordered_since, planned_within
from careloop.care.purposes.base import DUE_TIME, PlanContext, Purpose, at_local
from careloop.care.purposes.base import gettext as _


@register
class Holiday(Purpose):
    key = "holiday"
    label = gettext_lazy("节日关怀")
    trigger_text = gettext_lazy("7 天内有春节、端午、中秋或元旦,且近 365 天有下单")
    precedence = 100
    holdout = True
    default_name = gettext_lazy("节日关怀:春节、端午、中秋、元旦前 7 天问候")
    default_priority = "low"
    default_methods = {"A": "sms", "B": "sms", "C": "sms", "none": "sms"}
    # Per holiday code, methods that differ from `methods` (a visit for tier A before 春节).
    default_params = {
        "days_before": 7,
        "ordered_within_days": 365,
        "holiday_methods": {"spring_festival": {"A": "visit"}},
    }
    default_holdout_share = "0.05"
    default_script = "{{称呼}}您好,我是{{坐席}},{{节日}}将至,提前祝您和家人节日快乐!"

    def upcoming(self, ctx: PlanContext):
        """The next care holiday 1–`days_before` days after D, or None."""
        if "holiday" not in ctx.extra:
            from careloop.workcal.services import upcoming_care_holidays

            days = int(ctx.param("days_before", 7))
            found = [
                h for h in upcoming_care_holidays(ctx.as_of, within_days=days) if h.day > ctx.as_of
            ]
            ctx.extra["holiday"] = found[0] if found else None
        return ctx.extra["holiday"]

    def candidates(self, ctx: PlanContext) -> QuerySet:
        holiday = self.upcoming(ctx)
        if holiday is None:
            return ctx.customers.none()
        days = int(ctx.param("days_before", 7))
        return ctx.customers.filter(
            ordered_since(ctx, ctx.param("ordered_within_days", 365))
        ).exclude(planned_within(self.key, ctx, days + 1))

    def methods_for(self, ctx: PlanContext) -> dict:
        holiday = self.upcoming(ctx)
        methods = dict(ctx.rule.methods or self.default_methods)
        if holiday is not None:
            methods |= (ctx.param("holiday_methods", {}) or {}).get(holiday.code, {})
        return methods

    def due_at(self, row: dict, ctx: PlanContext, *, method: str, priority: str) -> datetime:
        """Before the holiday: its eve, or for a visit the last working day before it."""
        holiday = self.upcoming(ctx)
        day = holiday.day - timedelta(days=1)
        if method == "visit":
            from careloop.workcal.services import is_working_day

            while day > ctx.as_of and not is_working_day(day):
                day -= timedelta(days=1)
        return at_local(max(day, ctx.as_of), DUE_TIME)

    def reason(self, row: dict, ctx: PlanContext) -> str:
        holiday = self.upcoming(ctx)
        return _("%(name)s(%(day)s)前的节日问候") % {
            "name": holiday.name,
            "day": f"{holiday.day:%Y-%m-%d}",
        }

    def message_body(self, row: dict, ctx: PlanContext) -> str:
        holiday = self.upcoming(ctx)
        return _("%(name)s您好,%(holiday)s将至,祝您和家人节日快乐、万事如意!回复 T 退订") % {
            "name": row["salutation"],
            "holiday": holiday.name,
        }
