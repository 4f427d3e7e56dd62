"""Working days, business hours and care holidays, counted in the company's time zone.

Whether a day is a working day is decided, first match wins, by:
1. a `HolidayOverride` row (the company's own entries: next year's 调休, corrections);
2. the `chinesecalendar` package (official holidays and make-up working days, 2004–2026 in 1.11);
3. Monday–Friday, for a year neither covers (a warning is logged once per year and process).

Overrides are read once per year and cached for `OVERRIDE_CACHE_SECONDS` (writes through
`holiday_override_set`/`_delete` clear the cache), so asking about many days costs at most one
query per year they span, never one per day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from borax.calendars.lunardate import LunarDate
from chinese_calendar.constants import Holiday as PackageHoliday
from chinese_calendar.constants import holidays as PACKAGE_HOLIDAYS
from chinese_calendar.constants import workdays as PACKAGE_WORKDAYS
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careloop.accounts.models import User
from careloop.accounts.services import audit_record
from careloop.core.errors import DomainError, NotFound, PermissionDenied
from careloop.workcal.models import HolidayOverride

log = logging.getLogger(__name__)

PACKAGE_FIRST_YEAR = min(PACKAGE_HOLIDAYS).year
PACKAGE_LAST_YEAR = max(PACKAGE_HOLIDAYS).year
OVERRIDE_CACHE_SECONDS = 60
MAX_BUSINESS_HOURS = 50_000  # ~20 years of working days: beyond that is a caller's mistake
_warned_years: set[int] = set()


# Working days ------------------------------------------------------------------------------


def package_covers(year: int) -> bool:
    """Whether the chinesecalendar package knows the official holidays of `year`."""
    return PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR


def _cache_key(year: int) -> str:
    return f"workcal.overrides.{year}"


def year_overrides(year: int) -> dict[date, bool]:
    """{day: is_working_day} of the company's overrides in `year` (cached)."""
    found = cache.get(_cache_key(year))
    if found is None:
        found = dict(
            HolidayOverride.objects.filter(
                day__gte=date(year, 1, 1), day__lt=date(year + 1, 1, 1)
            ).values_list("day", "is_working_day")
        )
        cache.set(_cache_key(year), found, OVERRIDE_CACHE_SECONDS)
    return found


def overrides_cache_clear(*years: int) -> None:
    cache.delete_many([_cache_key(y) for y in years])


def official_working_day(day: date, *, year_has_overrides: bool = False) -> bool:
    """The package's answer, or Monday–Friday for a year it does not cover."""
    if package_covers(day.year):
        return day in PACKAGE_WORKDAYS or (day.weekday() < 5 and day not in PACKAGE_HOLIDAYS)
    if not year_has_overrides and day.year not in _warned_years:
        _warned_years.add(day.year)
        log.warning(
            "workcal.year_not_covered",
            extra={"year": day.year, "package_years": [PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR]},
        )
    return day.weekday() < 5


class WorkingDays:
    """Answers "is this a working day?" for many days with one override lookup per year."""

    def __init__(self) -> None:
        self._years: dict[int, dict[date, bool]] = {}

    def preload(self, years: range, overrides: list[HolidayOverride]) -> None:
        """Use override rows already read (all of `years`) instead of querying again."""
        for year in years:
            self._years[year] = {o.day: o.is_working_day for o in overrides if o.day.year == year}

    def overrides(self, year: int) -> dict[date, bool]:
        if year not in self._years:
            self._years[year] = year_overrides(year)
        return self._years[year]

    def __call__(self, day: date) -> bool:
        day = as_day(day)
        overrides = self.overrides(day.year)
        if day in overrides:
            return overrides[day]
        return official_working_day(day, year_has_overrides=bool(overrides))


def as_day(value: date | datetime) -> date:
    """A datetime counts as its day in the company's time zone."""
    if isinstance(value, datetime):
        return to_local(value).date()
    return value


def is_working_day(day: date) -> bool:
    return WorkingDays()(day)


def working_days_between(start: date, end: date) -> set[date]:
    """The working days from `start` to `end`, both included."""
    check = WorkingDays()
    start, end = as_day(start), as_day(end)
    days = (start + timedelta(days=i) for i in range((end - start).days + 1))
    return {day for day in days if check(day)}


def add_working_days(day: date, n: int) -> date:
    """The n-th working day after `day` (before it when n < 0); `day` itself when n == 0.
    Friday + 1 is Monday; a visit 3 working days before a Monday is on the Wednesday before."""
    check = WorkingDays()
    day = as_day(day)
    step = timedelta(days=1 if n >= 0 else -1)
    left = abs(n)
    while left:
        day += step
        if check(day):
            left -= 1
    return day


# Business hours ------------------------------------------------------------------------------


def parse_span(text: str, *, setting: str) -> tuple[time, time]:
    """'09:00-18:00' -> (09:00, 18:00); a bad value refuses to start with the setting's name."""
    try:
        first, second = (part.strip() for part in text.split("-"))
        return time.fromisoformat(first), time.fromisoformat(second)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{setting} 格式应为 HH:MM-HH:MM(例如 09:00-18:00),当前为 {text!r}"
        ) from exc


def business_hours() -> tuple[time, time]:
    opens, closes = parse_span(settings.CARELOOP_BUSINESS_HOURS, setting="CARELOOP_BUSINESS_HOURS")
    if opens >= closes:
        raise ImproperlyConfigured(
            f"CARELOOP_BUSINESS_HOURS 的开始时间须早于结束时间,当前为 "
            f"{settings.CARELOOP_BUSINESS_HOURS!r}"
        )
    return opens, closes


def to_local(moment: datetime) -> datetime:
    """`moment` in the company's time zone; a naive one is read as company time."""
    if timezone.is_naive(moment):  # like the API does
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment)


def _window(day: date, opens: time, closes: time) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return datetime.combine(day, opens, tzinfo=tz), datetime.combine(day, closes, tzinfo=tz)


def business_hours_add(start: datetime, hours: float) -> datetime:
    """The moment `hours` business hours after `start` (aware UTC): only the business hours
    (default 09:00–18:00) of working days count, so nights, weekends and public holidays are
    skipped and a 调休 Saturday counts. Friday 17:00 + 2 h is Monday 10:00."""
    if not 0 <= hours <= MAX_BUSINESS_HOURS:
        raise ValueError(f"hours must be between 0 and {MAX_BUSINESS_HOURS}: {hours!r}")
    moment = to_local(start)
    left = timedelta(hours=hours)
    if not left:
        return moment.astimezone(UTC)
    opens, closes = business_hours()
    check = WorkingDays()
    day = moment.date()
    while True:
        if check(day):
            window_open, window_close = _window(day, opens, closes)
            begin = max(moment, window_open)
            if begin < window_close:
                available = window_close - begin
                if left <= available:
                    return (begin + left).astimezone(UTC)
                left -= available
        day += timedelta(days=1)


def business_hours_between(start: datetime, end: datetime) -> float:
    """Business hours from `start` to `end` (negative when `end` is earlier)."""
    start, end = to_local(start), to_local(end)
    if end < start:
        return -business_hours_between(end, start)
    opens, closes = business_hours()
    check = WorkingDays()
    total = timedelta()
    day = start.date()
    while day <= end.date():
        if check(day):
            window_open, window_close = _window(day, opens, closes)
            overlap = min(end, window_close) - max(start, window_open)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def clock_add(start: datetime, hours: float, *, business: bool) -> datetime:
    """A deadline `hours` after `start`: business hours or plain calendar hours (aware UTC)."""
    if business:
        return business_hours_add(start, hours)
    return (to_local(start) + timedelta(hours=hours)).astimezone(UTC)


# Care holidays (lunar festivals and 元旦) ----------------------------------------------------

CARE_HOLIDAY_NAMES = {
    "new_year": gettext_lazy("元旦"),
    "spring_festival": gettext_lazy("春节"),
    "dragon_boat": gettext_lazy("端午节"),
    "mid_autumn": gettext_lazy("中秋节"),
}
LUNAR_FESTIVALS = {"spring_festival": (1, 1), "dragon_boat": (5, 5), "mid_autumn": (8, 15)}


@dataclass(frozen=True)
class Holiday:
    code: str  # new_year, spring_festival, dragon_boat, mid_autumn
    name: str  # 元旦, 春节, 端午节, 中秋节
    day: date


def lunar_festivals(year: int) -> dict[str, date]:
    """春节 (正月初一), 端午 (五月初五), 中秋 (八月十五) of `year` in the Gregorian calendar."""
    return {
        code: LunarDate(year, month, day).to_solar_date()
        for code, (month, day) in LUNAR_FESTIVALS.items()
    }


def care_holidays(year: int) -> list[Holiday]:
    """The holidays the `holiday` care purpose greets customers for, in date order."""
    days = {"new_year": date(year, 1, 1)} | lunar_festivals(year)
    found = [Holiday(code, str(CARE_HOLIDAY_NAMES[code]), day) for code, day in days.items()]
    return sorted(found, key=lambda h: h.day)


def upcoming_care_holidays(as_of: date, within_days: int) -> list[Holiday]:
    """Care holidays on `as_of` or in the `within_days` days after it (across New Year)."""
    last = as_of + timedelta(days=within_days)
    found = [
        holiday
        for year in range(as_of.year, last.year + 1)
        for holiday in care_holidays(year)
        if as_of <= holiday.day <= last
    ]
    return sorted(found, key=lambda h: h.day)


def official_holiday_name(day: date) -> str:
    """'春节' for a day of an official holiday break in the package, '' otherwise."""
    english = PACKAGE_HOLIDAYS.get(day) or PACKAGE_WORKDAYS.get(day)
    return PackageHoliday(english).chinese if english else ""


# Overrides (admin) ---------------------------------------------------------------------------

OVERRIDE_NAME_MAX = 64
OVERRIDE_YEARS = (2000, 2100)


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("只有管理员可以修改节假日安排"))


@transaction.atomic
def holiday_override_set(
    *, actor: User, day: date, is_working_day: bool, name: str = ""
) -> HolidayOverride:
    """Make `day` a working day (调休) or a day off; replaces an earlier override of that day."""
    _require_admin(actor)
    name = (name or "").strip()
    if not OVERRIDE_YEARS[0] <= day.year <= OVERRIDE_YEARS[1]:
        raise DomainError(
            _("日期须在 %(first)s–%(last)s 年之间")
            % {"first": OVERRIDE_YEARS[0], "last": OVERRIDE_YEARS[1]},
            field="day",
        )
    if len(name) > OVERRIDE_NAME_MAX:
        raise DomainError(_("名称最多 %(max)s 个字") % {"max": OVERRIDE_NAME_MAX}, field="name")
    override = HolidayOverride.objects.select_for_update().filter(day=day).first()
    before = None
    if override is None:
        override = HolidayOverride(day=day)
    else:
        before = {"is_working_day": override.is_working_day, "name": override.name}
    override.is_working_day, override.name, override.created_by = is_working_day, name, actor
    override.full_clean()
    override.save()
    audit_record(
        actor=actor,
        action="holiday_override.set",
        target=override,
        detail={
            "day": day.isoformat(),
            "is_working_day": is_working_day,
            "name": name,
            "before": before,
        },
    )
    transaction.on_commit(lambda: overrides_cache_clear(day.year))
    overrides_cache_clear(day.year)
    return override


@transaction.atomic
def holiday_override_delete(*, actor: User, override_id: int) -> None:
    _require_admin(actor)
    override = HolidayOverride.objects.select_for_update().filter(pk=override_id).first()
    if override is None:
        raise NotFound(_("该节假日调整不存在或已删除"))
    detail = {
        "day": override.day.isoformat(),
        "is_working_day": override.is_working_day,
        "name": override.name,
    }
    year = override.day.year
    audit_record(actor=actor, action="holiday_override.delete", target=override, detail=detail)
    override.delete()
    transaction.on_commit(lambda: overrides_cache_clear(year))
    overrides_cache_clear(year)
