"""Cell parsers: each takes the raw cell (str, or a number/datetime from XLSX) and returns the value
to store, or raises `Invalid` with the problem in Chinese. The common shapes take a fast path:
a million rows pass through here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

from careloop.core.phones import InvalidPhone, normalize_phone

FAST_DATETIME = re.compile(r"\d{4}-\d\d-\d\d( ([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?)?")
ANY_DATETIME = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?)?"
)
FAST_MONEY = re.compile(r"-?\d{1,12}(\.\d{1,2})?")
MONEY_NOISE = str.maketrans("", "", ",, ¥￥元")
CN_MOBILE = re.compile(r"\+861[3-9]\d{9}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - Excel serials are naive local times
TRUE = {"1", "是", "true", "yes", "y", "t", "on", "√"}
FALSE = {"0", "否", "false", "no", "n", "f", "off", ""}
GENDERS = {"男": "M", "m": "M", "male": "M", "女": "F", "f": "F", "female": "F", "": ""}


class Invalid(ValueError):
    """The cell's value is not acceptable; `problem` completes 「列」值 "x" …."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def text(raw, max_length: int) -> str:
    value = raw.strip() if type(raw) is str else _cell_text(raw)
    if len(value) > max_length:
        raise Invalid(_("超过 %(n)s 个字符") % {"n": max_length})
    return value


def _cell_text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # an id typed as a number in Excel: 1001.0 -> "1001"
    if isinstance(raw, datetime):
        return raw.isoformat(sep=" ")
    return str(raw).strip()


class Moments:
    """Local date-times (settings.TIME_ZONE) to UTC text 'YYYY-MM-DD HH:MM:SS', as stored.

    The UTC hour for a local 'YYYY-MM-DD HH' is cached: with whole-hour offsets a row costs one
    regex match and one dict lookup; anything else goes through zoneinfo.
    """

    def __init__(self, tz_name: str | None = None):
        self.tz = ZoneInfo(tz_name or settings.TIME_ZONE)
        self.hours: dict[str, str | None] = {}

    def utc_text(self, raw) -> str:
        if type(raw) is str:
            if FAST_DATETIME.fullmatch(raw):
                if len(raw) == 10:
                    raw += " 00:00"
                prefix = self.hours.get(raw[:13], False)
                if prefix is False:
                    prefix = self._hour(raw[:13])
                if prefix is not None:
                    return prefix + raw[13:16] + (raw[16:19] or ":00")
            return self._to_utc(self._parse(raw))
        return self._to_utc(self._parse(raw))

    def _hour(self, key: str) -> str | None:
        try:
            parts = int(key[:4]), int(key[5:7]), int(key[8:10]), int(key[11:13])
            local = datetime(*parts, tzinfo=self.tz)
        except ValueError:
            prefix = None  # e.g. 2024-02-30: the slow path names the problem
        else:
            offset = local.utcoffset() or timedelta(0)
            whole = offset.total_seconds() % 3600 == 0
            prefix = local.astimezone(UTC).strftime("%Y-%m-%d %H") if whole else None
        self.hours[key] = prefix
        return prefix

    def _to_utc(self, moment: datetime) -> str:
        return moment.replace(tzinfo=self.tz).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    def _parse(self, raw) -> datetime:
        if isinstance(raw, datetime):
            return raw.replace(tzinfo=None) if raw.tzinfo is None else _naive_local(raw, self.tz)
        if isinstance(raw, date):
            return datetime(raw.year, raw.month, raw.day)  # noqa: DTZ001
        if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 < raw < 2958466:
            return (EXCEL_EPOCH + timedelta(days=float(raw))).replace(microsecond=0)
        value = str(raw).strip()
        if not value:
            raise Invalid(_("不能为空"))
        match = ANY_DATETIME.fullmatch(value)
        if not match:
            raise Invalid(_("不是有效的日期时间(应为 YYYY-MM-DD 或 YYYY-MM-DD HH:MM:SS)"))
        y, m, d, hh, mm, ss = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(y, m, d, hh, mm, ss)  # noqa: DTZ001
        except ValueError as exc:
            raise Invalid(_("不是有效的日期时间")) from exc

    def date_text(self, raw) -> str:
        """A calendar date (birthday): 'YYYY-MM-DD', no time zone."""
        if isinstance(raw, datetime | date):
            return raw.strftime("%Y-%m-%d")
        value = str(raw).strip()
        match = ANY_DATETIME.fullmatch(value)
        if not match or match.group(4):
            raise Invalid(_("不是有效的日期(应为 YYYY-MM-DD)"))
        try:
            return date(*(int(g) for g in match.groups()[:3])).isoformat()
        except ValueError as exc:
            raise Invalid(_("不是有效的日期(应为 YYYY-MM-DD)")) from exc


def _naive_local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def money(raw) -> str:
    """'1,234.5' / '¥99' / 12.5 -> '1234.5' / '99' / '12.5' (exact decimal text, never float)."""
    if type(raw) is str and FAST_MONEY.fullmatch(raw):
        return raw
    if isinstance(raw, float):
        raw = repr(raw)
    value = str(raw).translate(MONEY_NOISE).strip()
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise Invalid(_("不是有效的金额")) from exc
    if not amount.is_finite():
        raise Invalid(_("不是有效的金额"))
    if amount != amount.quantize(Decimal("0.01")):
        raise Invalid(_("金额最多两位小数"))
    if abs(amount) >= Decimal("1e12"):
        raise Invalid(_("金额超出范围"))
    return str(amount.quantize(Decimal("0.01")))


def phone(raw) -> str:
    value = _cell_text(raw) if type(raw) is not str else raw.strip()
    try:
        normalized = normalize_phone(value)
    except InvalidPhone as exc:
        raise Invalid(_("不是有效的手机号码")) from exc
    # A mainland mobile number is valid as it stands; phonenumbers judges anything else.
    if (
        normalized
        and not CN_MOBILE.fullmatch(normalized)
        and not phonenumbers.is_valid_number(phonenumbers.parse(normalized))
    ):
        raise Invalid(_("不是有效的手机号码"))
    return normalized


def email(raw) -> str:
    value = text(raw, 254).lower()
    if value and not EMAIL.fullmatch(value):
        raise Invalid(_("不是有效的邮箱地址"))
    return value


def gender(raw) -> str:
    value = text(raw, 8).lower()
    if value not in GENDERS:
        raise Invalid(_("应为 男/女/M/F"))
    return GENDERS[value]


def flag(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    value = _cell_text(raw).lower() if type(raw) is not str else raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise Invalid(_("应为 1/0/是/否/true/false"))


def choice(raw, options: dict[str, str], expected: str) -> str:
    value = text(raw, 32)
    key = options.get(value) or options.get(value.lower())
    if key is None:
        raise Invalid(_("应为 %(expected)s") % {"expected": expected})
    return key


def integer(raw, low: int, high: int) -> int | None:
    value = _cell_text(raw) if type(raw) is not str else raw.strip()
    if value == "":
        return None
    try:
        number = int(value)
    except ValueError as exc:
        raise Invalid(_("应为 %(low)s–%(high)s 的整数") % {"low": low, "high": high}) from exc
    if not low <= number <= high:
        raise Invalid(_("应为 %(low)s–%(high)s 的整数") % {"low": low, "high": high})
    return number
