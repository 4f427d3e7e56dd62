"""/api/v1/calendar: working days and care holidays, for integrators planning around them."""

from datetime import date

from django.utils.translation import gettext as _
from ninja import Router, Schema

from careloop.core.errors import DomainError
from careloop.workcal import services

router = Router(tags=["workcal"])
MAX_SPAN_DAYS = 731


class WorkingDaysOut(Schema):
    start: date
    end: date
    count: int
    working_days: list[date]


class HolidayOut(Schema):
    code: str
    name: str
    day: date


@router.get("/calendar/working-days", response=WorkingDaysOut, summary="工作日列表")
def working_days(request, start: date, end: date):
    """The working days from `start` to `end` (both included, at most 731 days): official
    holidays and 调休 from chinesecalendar, the company's overrides, else Monday–Friday."""
    if end < start:
        raise DomainError(_("结束日期不能早于开始日期"), field="end")
    if (end - start).days >= MAX_SPAN_DAYS:
        raise DomainError(_("日期范围最多 %(days)s 天") % {"days": MAX_SPAN_DAYS}, field="end")
    days = sorted(services.working_days_between(start, end))
    return {"start": start, "end": end, "count": len(days), "working_days": days}


@router.get("/calendar/care-holidays", response=list[HolidayOut], summary="关怀节日(含农历)")
def care_holidays(request, year: int):
    """元旦, 春节, 端午节, 中秋节 of `year` (1901–2099), the lunar ones converted by borax."""
    if not 1901 <= year <= 2099:
        raise DomainError(_("年份须在 1901–2099 之间"), field="year")
    return services.care_holidays(year)
