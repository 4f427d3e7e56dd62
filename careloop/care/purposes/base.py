"""What a purpose is, and what the planner hands it (`PlanContext`).

A purpose says only who is a candidate today and what they get, in one query:
`candidates(ctx)` returns customers annotated with the facts its due date and reason need
(`event_at`, `due_on`, `src_id`, …). Everything else — do-not-contact, one open task per purpose,
precedence, hold-out, frequency cap, assignment and the bulk write — is `plan_day`'s.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as django_gettext

from careloop.core import clock

# Due times on a day are the end of the business day, in the company time zone.
DUE_TIME = time(18, 0)
MESSAGE_TIME = time(10, 0)


# A plan run asks for the same few texts (reasons, labels) and the same few local times (due at
# 18:00 on D+3) hundreds of thousands of times, and each of Django's lookups of the active
# translation or time zone costs ~10–20 µs: a run remembers them (one thread, one language,
# one time zone). Outside a run (pages, tests) nothing is remembered.
_run_memo: ContextVar[dict | None] = ContextVar("care_plan_memo", default=None)


@contextmanager
def plan_run_memo() -> Iterator[None]:
    token = _run_memo.set({})
    try:
        yield
    finally:
        _run_memo.reset(token)


def gettext(message: str) -> str:
    """django.utils.translation.gettext, remembered within `plan_run_memo()`."""
    memo = _run_memo.get()
    if memo is None:
        return django_gettext(message)
    found = memo.get(message)
    if found is None:
        found = memo[message] = django_gettext(message)
    return found


def at_local(day: date, moment: time) -> datetime:
    """`moment` on `day` in the company's time zone (aware); remembered within a run."""
    memo = _run_memo.get()
    if memo is None:
        return timezone.make_aware(datetime.combine(day, moment))
    key = (day, moment)
    found = memo.get(key)
    if found is None:
        found = memo[key] = timezone.make_aware(datetime.combine(day, moment))
    return found


def local(moment: datetime) -> datetime:
    """clock.local (the company's time zone), with the zone looked up once per run."""
    memo = _run_memo.get()
    if memo is None:
        return clock.local(moment)
    zone = memo.get(local)
    if zone is None:
        zone = memo[local] = timezone.get_current_timezone()
    return moment.astimezone(zone)


@dataclass
class PlanContext:
    """One rule evaluated as of one date."""

    as_of: date
    now: datetime  # the run's moment (end of D when planning a past day)
    rule: Any  # CareRule (or an unsaved draft for a preview)
    customers: QuerySet  # the rule's audience (all customers, or a saved segment's)
    extra: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str, default: Any = None) -> Any:
        value = (self.rule.params or {}).get(name)
        return default if value is None or value == "" else value

    def day(self, offset: int = 0) -> date:
        return self.as_of + timedelta(days=offset)

    def day_start(self, offset: int = 0) -> datetime:
        return clock.day_start(self.day(offset))


class Purpose(ABC):
    """A reason to contact a customer. Subclasses set the class attributes and `candidates`."""

    key: ClassVar[str]
    label: ClassVar[Any]  # lazy Chinese label
    trigger_text: ClassVar[Any] = ""  # who is a candidate, in a sentence (explanations)
    precedence: ClassVar[int]  # lower wins
    proactive: ClassVar[bool] = True  # at most one proactive task a day; do_not_contact applies
    holdout: ClassVar[bool] = False  # the planner may keep a control group
    event: ClassVar[bool] = False  # re-evaluated every minute for today (plan_events_job)
    source_type: ClassVar[str] = ""  # "complaint", "interaction": one task per event
    # The default rule (data migration and care_rules_ensure_defaults).
    default_name: ClassVar[Any]
    default_priority: ClassVar[str] = "medium"
    default_due_days: ClassVar[int | None] = None
    default_due_hours: ClassVar[int | None] = None
    default_methods: ClassVar[dict[str, Any]] = {"A": "phone", "B": "phone", "C": "phone"}
    default_params: ClassVar[dict[str, Any]] = {}
    default_holdout_share: ClassVar[str] = "0"
    default_enabled: ClassVar[bool] = True
    default_script: ClassVar[str] = ""
    # Message methods of this purpose are marketing (frequency cap and opt-out apply).
    marketing: ClassVar[bool] = True
    # Customer fields its due date or reason read, besides the planner's ROW_FIELDS (a
    # timestamp costs a conversion per row: only the purposes that need one ask for it).
    row_fields: ClassVar[tuple[str, ...]] = ()
    # Per-tier priority, e.g. retention: {"A": "high", "B": "medium", "C": "low"}.
    tier_priority: ClassVar[dict[str, str]] = {}

    @abstractmethod
    def candidates(self, ctx: PlanContext) -> QuerySet:
        """Who is a candidate on ctx.as_of, in one query, annotated with what due date and
        reason need."""

    def methods_for(self, ctx: PlanContext) -> dict[str, Any]:
        """Method(s) per tier key ("A", "B", "C", "none")."""
        return dict(ctx.rule.methods or self.default_methods)

    def task_messages(self, row: dict, ctx: PlanContext) -> list[dict]:
        """Messages that go with a created task whatever its method (the complaint apology)."""
        return []

    # --- what a candidate gets (per row, from the annotated values; no queries) -----------

    def due_at(self, row: dict, ctx: PlanContext, *, method: str, priority: str) -> datetime:
        """Default: D + the rule's due days (or the priority's default) at the end of the day;
        visits count working days (DESIGN.md §3 "Callback work")."""
        from careloop.care.models import PRIORITY_DUE_DAYS
        from careloop.workcal.services import add_working_days

        days = ctx.rule.due_days or PRIORITY_DUE_DAYS[priority]
        if method == "visit":
            key = ("working_days", days)
            if key not in ctx.extra:  # once per run and rule, not per customer
                ctx.extra[key] = add_working_days(ctx.as_of, days)
            return at_local(ctx.extra[key], DUE_TIME)
        return at_local(ctx.day(days), DUE_TIME)

    def reason(self, row: dict, ctx: PlanContext) -> str:
        return str(self.label)

    def message_body(self, row: dict, ctx: PlanContext) -> str:
        return ""

    def message_not_before(self, row: dict, ctx: PlanContext) -> datetime:
        return at_local(ctx.as_of, MESSAGE_TIME)

    def extra_messages(self, ctx: PlanContext) -> list[dict]:
        """Messages that go out without a task (e.g. activation's welcome guide)."""
        return []
