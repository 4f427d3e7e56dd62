"""Reads for the calendar page: the coming year's holidays, make-up days and care holidays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.translation import gettext as _

from careloop.workcal.models import HolidayOverride
from careloop.workcal.services import (
    Holiday,
    WorkingDays,
    official_holiday_name,
    package_covers,
    upcoming_care_holidays,
)


@dataclass
class Period:
    """A run of days off (a holiday break) or one make-up working day (调休)."""

    kind: str  # "holiday" or "workday"
    name: str
    start: date
    end: date
    source: str  # "package" (chinesecalendar) or "override" (the company's entry)
    days: list[date] = field(default_factory=list)

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class CalendarOverview:
    start: date
    end: date
    periods: list[Period]
    care_holidays: list[Holiday]
    overrides: list[HolidayOverride]
    uncovered_years: list[int]


def calendar_overview(*, start: date, days: int = 365) -> CalendarOverview:
    """Holidays and make-up days from `start` for `days` days (package and overrides), the care
    holidays in that span, the overrides from the start of `start`'s year on, and the years
    the package does not cover (their holidays are only what the company entered). One query."""
    end = start + timedelta(days=days - 1)
    listed = list(
        HolidayOverride.objects.filter(day__gte=date(start.year, 1, 1))
        .select_related("created_by")
        .order_by("day")
    )
    names = {o.day: o.name for o in listed}
    check = WorkingDays()
    check.preload(range(start.year, end.year + 1), listed)
    periods: list[Period] = []
    day = start
    while day <= end:
        working = check(day)
        source = "override" if day in check.overrides(day.year) else "package"
        name = (
            (names.get(day) or _("公司调整"))
            if source == "override"
            else official_holiday_name(day)
        )
        if not working and (source == "override" or name):
            last = periods[-1] if periods else None
            if (
                last is not None
                and last.kind == "holiday"
                and last.name == name
                and last.end == day - timedelta(days=1)
            ):
                last.end = day
                last.days.append(day)
                if source == "override":
                    last.source = source
            else:
                periods.append(Period("holiday", name, day, day, source, [day]))
        elif working and day.weekday() >= 5:
            periods.append(Period("workday", name or _("调休上班"), day, day, source, [day]))
        day += timedelta(days=1)
    uncovered = [year for year in range(start.year, end.year + 1) if not package_covers(year)]
    return CalendarOverview(
        start=start,
        end=end,
        periods=periods,
        care_holidays=upcoming_care_holidays(start, within_days=days - 1),
        overrides=listed,
        uncovered_years=uncovered,
    )
