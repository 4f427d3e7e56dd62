"""Count days in the company's time zone (Asia/Shanghai by default); store aware UTC."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate()


def day_start(on: date) -> datetime:
    return timezone.make_aware(datetime.combine(on, time.min))


def day_end(on: date) -> datetime:
    """The first instant after `on` (exclusive bound)."""
    return day_start(on + timedelta(days=1))


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment)
