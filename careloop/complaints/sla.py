"""SLA clock arithmetic: calendar hours, or business hours on the Chinese working calendar
(holidays and 调休 Saturdays come from `careloop.workcal`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext

DEFAULT_TARGETS = {  # severity -> (first response h, resolution h); DESIGN §3 Complaints
    "A": (Decimal("2"), Decimal("24")),
    "B": (Decimal("24"), Decimal("72")),
    "C": (Decimal("48"), Decimal("120")),
}


def add(start: datetime, hours: float | Decimal, *, business: bool) -> datetime:
    """The moment `hours` of clock time after `start`."""
    from careloop.workcal.services import clock_add

    return clock_add(start, float(hours), business=business)


def between(start: datetime, end: datetime, *, business: bool) -> float:
    """Clock hours from `start` to `end` (negative when `end` is earlier)."""
    if end < start:
        return -between(end, start, business=business)
    if business:
        from careloop.workcal.services import business_hours_between

        return float(business_hours_between(start, end))
    return (end - start).total_seconds() / 3600


def deadlines(
    start: datetime,
    *,
    first_response_hours: Decimal,
    resolution_hours: Decimal,
    business: bool,
    warn_ratio: Decimal = Decimal("0.8"),
    head_ratio: Decimal = Decimal("1.5"),
) -> dict[str, datetime]:
    """The six thresholds of a clock cycle started at `start`."""
    out = {}
    for name, hours in (("first_response", first_response_hours), ("resolution", resolution_hours)):
        out[f"{name}_warn_at"] = add(start, hours * warn_ratio, business=business)
        out[f"{name}_due"] = add(start, hours, business=business)
        out[f"{name}_head_at"] = add(start, hours * head_ratio, business=business)
    return out


def humanize(hours: float) -> str:
    """1.33 -> '1 小时 20 分'; 0.58 -> '35 分'."""
    minutes = round(abs(hours) * 60)
    h, m = divmod(minutes, 60)
    if h and m:
        return gettext("%(h)s 小时 %(m)s 分") % {"h": h, "m": m}
    if h:
        return gettext("%(h)s 小时") % {"h": h}
    return gettext("%(m)s 分") % {"m": m}
