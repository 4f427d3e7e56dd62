"""Working days, business hours and care holidays against known 2026/2027 dates."""

import logging
from datetime import UTC, date, datetime

import pytest

from careloop.customers.tests.factories import at
from careloop.workcal import services
from careloop.workcal.models import HolidayOverride
from careloop.workcal.services import (
    add_working_days,
    business_hours_add,
    business_hours_between,
    care_holidays,
    clock_add,
    is_working_day,
    lunar_festivals,
    upcoming_care_holidays,
    working_days_between,
)


def utc(text: str) -> datetime:
    return at(text).astimezone(UTC)


# Working days: the package, 调休 and the years it does not cover yet


@pytest.mark.django_db
def test_official_2026_calendar_from_the_package():
    assert is_working_day(date(2026, 2, 13))  # Friday before the Spring Festival break
    assert is_working_day(date(2026, 2, 14))  # Saturday, 调休 make-up day
    assert not is_working_day(date(2026, 2, 17))  # 春节
    assert not is_working_day(date(2026, 2, 23))  # last day of the 9-day break (Monday)
    assert is_working_day(date(2026, 2, 28))  # Saturday, 调休
    assert not is_working_day(date(2026, 3, 1))  # ordinary Sunday
    assert is_working_day(date(2026, 1, 4))  # Sunday, 元旦 make-up day
    assert not is_working_day(date(2026, 10, 7))  # 国庆


@pytest.mark.django_db
def test_override_wins_over_the_package():
    HolidayOverride.objects.create(day=date(2026, 2, 14), is_working_day=False, name="公司调整")
    HolidayOverride.objects.create(day=date(2026, 2, 17), is_working_day=True, name="值班")
    assert not is_working_day(date(2026, 2, 14))
    assert is_working_day(date(2026, 2, 17))


@pytest.mark.django_db
def test_uncovered_year_is_monday_to_friday_with_one_warning(caplog):
    services._warned_years.discard(2031)
    with caplog.at_level(logging.WARNING, logger="careloop.workcal.services"):
        assert is_working_day(date(2031, 2, 3))  # Monday
        assert not is_working_day(date(2031, 2, 1))  # Saturday
        assert is_working_day(date(2031, 2, 4))
    warnings = [r for r in caplog.records if r.getMessage() == "workcal.year_not_covered"]
    assert len(warnings) == 1
    assert warnings[0].year == 2031


@pytest.mark.django_db
def test_uncovered_year_uses_the_companys_entries():
    # 2027 春节 (Feb 6) as a company would enter it before the package knows it.
    HolidayOverride.objects.create(day=date(2027, 2, 8), is_working_day=False, name="春节")
    HolidayOverride.objects.create(day=date(2027, 2, 20), is_working_day=True, name="春节调休")
    assert not is_working_day(date(2027, 2, 8))
    assert is_working_day(date(2027, 2, 20))  # a Saturday
    assert is_working_day(date(2027, 2, 9))  # no entry: Tuesday


@pytest.mark.django_db
def test_working_days_between_reads_overrides_once_per_year(django_assert_num_queries):
    HolidayOverride.objects.create(day=date(2026, 3, 2), is_working_day=False, name="停电")
    with django_assert_num_queries(1):
        days = working_days_between(date(2026, 2, 9), date(2026, 3, 8))
    # Feb 9–13 (5) + Sat 14 + Feb 24–27 (4) + Sat 28 + Mar 3–6 (4; Mar 2 overridden)
    assert len(days) == 15
    assert date(2026, 2, 14) in days and date(2026, 3, 2) not in days
    with django_assert_num_queries(0):  # cached
        assert working_days_between(date(2026, 2, 9), date(2026, 2, 13)) == {
            date(2026, 2, d) for d in range(9, 14)
        }


@pytest.mark.django_db
def test_override_cache_is_cleared_by_the_service(admin_wang):
    assert is_working_day(date(2026, 3, 2))
    services.holiday_override_set(
        actor=admin_wang, day=date(2026, 3, 2), is_working_day=False, name="停电"
    )
    assert not is_working_day(date(2026, 3, 2))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday + 1 → Monday
        (date(2026, 11, 25), 0, date(2026, 11, 25)),
        (date(2026, 2, 12), 2, date(2026, 2, 14)),  # Thu + 2 → the 调休 Saturday
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # over the Spring Festival break
        (date(2026, 2, 24), -1, date(2026, 2, 14)),
        (date(2026, 11, 30), -3, date(2026, 11, 25)),  # 3 working days before a Monday
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # over 国庆
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # 国庆 调休 Saturday
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


# Business hours (09:00–18:00 by default)


@pytest.mark.django_db
def test_business_hours_add_within_a_day_and_over_a_night():
    assert business_hours_add(at("2026-11-25 10:00"), 2) == utc("2026-11-25 12:00")
    assert business_hours_add(at("2026-11-25 17:00"), 2) == utc("2026-11-26 10:00")
    assert business_hours_add(at("2026-11-25 17:00"), 1) == utc("2026-11-25 18:00")
    assert business_hours_add(at("2026-11-25 20:00"), 2) == utc("2026-11-26 11:00")
    assert business_hours_add(at("2026-11-25 07:30"), 0.5) == utc("2026-11-25 09:30")
    assert business_hours_add(at("2026-11-25 10:00"), 24) == utc("2026-11-27 16:00")


@pytest.mark.django_db
def test_business_hours_add_returns_aware_utc():
    result = business_hours_add(at("2026-11-25 10:00"), 1)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_business_hours_add_skips_a_weekend():
    assert business_hours_add(at("2026-11-27 17:00"), 2) == utc("2026-11-30 10:00")
    assert business_hours_add(at("2026-11-28 11:00"), 2) == utc("2026-11-30 11:00")


@pytest.mark.django_db
def test_business_hours_add_skips_the_spring_festival_and_counts_make_up_saturdays():
    # Friday 13 Feb 17:00 + 2 h: one hour on Friday, one on the 调休 Saturday 14 Feb.
    assert business_hours_add(at("2026-02-13 17:00"), 2) == utc("2026-02-14 10:00")
    # Saturday 14 Feb 17:00 + 2 h: the break runs 15–23 Feb, work resumes Tuesday 24 Feb.
    assert business_hours_add(at("2026-02-14 17:00"), 2) == utc("2026-02-24 10:00")
    # Friday 27 Feb 17:00 + 2 h: the make-up Saturday 28 Feb counts.
    assert business_hours_add(at("2026-02-27 17:00"), 2) == utc("2026-02-28 10:00")


@pytest.mark.django_db
def test_business_hours_between():
    assert business_hours_between(at("2026-11-25 10:00"), at("2026-11-25 12:30")) == 2.5
    assert business_hours_between(at("2026-11-27 17:00"), at("2026-11-30 10:00")) == 2
    assert business_hours_between(at("2026-02-13 09:00"), at("2026-02-24 09:00")) == 18
    assert business_hours_between(at("2026-11-25 12:00"), at("2026-11-25 10:00")) == -2
    assert business_hours_between(at("2026-11-28 10:00"), at("2026-11-29 18:00")) == 0


@pytest.mark.django_db
def test_business_hours_from_the_setting(settings):
    settings.CARELOOP_BUSINESS_HOURS = "08:30-17:30"
    assert business_hours_add(at("2026-11-25 17:00"), 1) == utc("2026-11-26 09:00")


@pytest.mark.django_db
def test_bad_business_hours_setting_names_it(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CARELOOP_BUSINESS_HOURS = "9点到18点"
    with pytest.raises(ImproperlyConfigured, match="CARELOOP_BUSINESS_HOURS"):
        business_hours_add(at("2026-11-25 10:00"), 1)


@pytest.mark.django_db
def test_clock_add_calendar_or_business():
    start = at("2026-11-27 17:00")  # Friday
    assert clock_add(start, 2, business=False) == utc("2026-11-27 19:00")
    assert clock_add(start, 2, business=True) == utc("2026-11-30 10:00")
    assert clock_add(start, 48, business=False) == utc("2026-11-29 17:00")


# Care holidays from the lunar calendar


def test_lunar_festivals_known_dates():
    assert lunar_festivals(2026) == {
        "spring_festival": date(2026, 2, 17),
        "dragon_boat": date(2026, 6, 19),
        "mid_autumn": date(2026, 9, 25),
    }
    assert lunar_festivals(2025) == {
        "spring_festival": date(2025, 1, 29),
        "dragon_boat": date(2025, 5, 31),
        "mid_autumn": date(2025, 10, 6),
    }
    assert lunar_festivals(2027)["spring_festival"] == date(2027, 2, 6)


def test_care_holidays_in_date_order():
    holidays = care_holidays(2026)
    assert [(h.code, h.name, h.day) for h in holidays] == [
        ("new_year", "元旦", date(2026, 1, 1)),
        ("spring_festival", "春节", date(2026, 2, 17)),
        ("dragon_boat", "端午节", date(2026, 6, 19)),
        ("mid_autumn", "中秋节", date(2026, 9, 25)),
    ]


def test_upcoming_care_holidays_across_the_year_boundary():
    found = upcoming_care_holidays(date(2026, 12, 28), within_days=7)
    assert [(h.code, h.day) for h in found] == [("new_year", date(2027, 1, 1))]
    assert upcoming_care_holidays(date(2026, 2, 10), within_days=7)[0].day == date(2026, 2, 17)
    assert upcoming_care_holidays(date(2026, 2, 9), within_days=7) == []
    assert [h.code for h in upcoming_care_holidays(date(2026, 2, 17), within_days=0)] == [
        "spring_festival"
    ]
    found = upcoming_care_holidays(date(2026, 12, 1), within_days=90)
    assert [h.code for h in found] == ["new_year", "spring_festival"]


@pytest.mark.django_db
def test_a_datetime_counts_as_its_day_in_shanghai():
    # 2026-02-13 20:00 UTC is Saturday 14 Feb 04:00 in Shanghai, a 调休 working day.
    assert is_working_day(datetime(2026, 2, 13, 20, 0, tzinfo=UTC))
    assert add_working_days(datetime(2026, 2, 13, 20, 0, tzinfo=UTC), 1) == date(2026, 2, 24)


@pytest.mark.django_db
@pytest.mark.parametrize("hours", [-1, 50_001, float("nan")])
def test_business_hours_add_refuses_nonsense(hours):
    with pytest.raises(ValueError, match="hours must be between"):
        business_hours_add(at("2026-11-25 10:00"), hours)
