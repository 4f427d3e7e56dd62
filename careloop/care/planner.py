"""The daily care plan (关怀计划): `plan_day(as_of=D)` turns the enabled rules into callback
tasks and scheduled messages, and records every candidate that got nothing, with the reason.

How a run works, set-based:

1. The enabled rules, highest precedence first (complaint_followup … announcement; DESIGN.md §3).
2. Per rule, ONE query: the purpose's candidates (`Purpose.candidates`, annotated with what the
   due date and the reason need) joined with the facts the planner needs — an open task of the
   same purpose, the proactive task the customer already got today, the hold-out bucket —
   minus customers already planned or suppressed for this purpose on D (so a re-run for the same
   D creates and records nothing twice). Read in pages of 2,000 customers by id (SQLite) or
   through one server-side cursor (PostgreSQL), see `_Planner._pages`.
3. Per row, in Python, without a query: do_not_contact (proactive purposes only: complaint
   purposes are service and still apply) → `duplicate` (an open task of the purpose exists) →
   `holdout` (stable: a hash of the customer id and the rule's salt) →
   `precedence` (one proactive task per customer a day; the highest purpose wins, and replaces
   a lower task of the same day that nobody has started) → created, with priority, method by
   tier, due date and a Chinese reason.
4. Per page, messages (message methods, the complaint apology, activation's welcome) go to
   `messaging.messages_schedule_bulk`, which applies quiet hours, the frequency cap and opt-out;
   a message-only task whose message is capped or opted out becomes a suppressed entry.
5. Per page, assignment (see `Assigner`), then the tasks and suppressions are written
   (INSERT … ON CONFLICT DO NOTHING), all in the run's one transaction. Later rules see earlier
   rules' tasks in the database, so memory holds one page. Runs that write take a lock first
   (PostgreSQL advisory lock; SQLite's IMMEDIATE transactions), and the unique constraints on
   `CallbackTask` refuse duplicates even so.

A dry run does all of it, messages included, inside the transaction and rolls it back: the result
is the same as the real run's and nothing is written.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, OuterRef, QuerySet, Subquery, Value

from careloop.care import purposes as registry
from careloop.care.models import (
    MESSAGE_METHODS,
    PRIORITY_RANK,
    Assignment,
    CallbackTask,
    CareRule,
    PlanRun,
    PlanSuppression,
)
from careloop.care.purposes.base import PlanContext, Purpose, plan_run_memo
from careloop.care.purposes.base import gettext as _
from careloop.core import clock
from careloop.core.bulk import insert_rows
from careloop.customers.models import Customer

log = logging.getLogger(__name__)

# Hold-out hash: Knuth's multiplicative hash of the customer id, plus the rule's salt, in 10,000
# buckets; a customer is held out when the bucket is below share × 10,000. Integer arithmetic
# only, so a report or another engine (bench/plan.py's DuckDB query) can compute the same bucket
# in SQL (ids below 3.4 × 10⁹ keep the product within 64 bits).
HOLDOUT_MULTIPLIER = 2654435761
HOLDOUT_MODULUS = 4294967296
HOLDOUT_BUCKETS = 10000
PLAN_LOCK_KEY = 7_361_524_001  # pg_advisory_xact_lock: one writing plan run at a time
CHUNK = 2000
ANALYZE_AFTER = 1000  # rows written before the tables' statistics are first refreshed
ROW_FIELDS = (
    "pk",
    "external_id",
    "name",
    "gender",
    "team_id",
    "owner_id",
    "tier",
    "value_class",
    "region",
    "do_not_contact",
    "r_days",
)  # plus the purpose's `row_fields` and its candidates' annotations
Reason = PlanSuppression.Reason
MESSAGE_SUPPRESSION = {  # messaging's reason → the plan's reason code
    "frequency_cap": Reason.FREQUENCY_CAP,
    "opt_out": Reason.DO_NOT_CONTACT,
    "do_not_contact": Reason.DO_NOT_CONTACT,
}


def holdout_bucket_of(customer_id: int, salt: int) -> int:
    """0 … 9,999 per customer and rule, the same every day. Computed per candidate in Python:
    as a SQL column it was the only value Django converted, so every row of every rule went
    through its converter loop (~5 s at 1M customers)."""
    return (customer_id * HOLDOUT_MULTIPLIER % HOLDOUT_MODULUS + salt) % HOLDOUT_BUCKETS


def salutation(row: dict) -> str:
    """Customer.salutation (张先生) for a values() row, without building a model instance."""
    person = SimpleNamespace(
        name=row.get("name") or "", gender=row.get("gender") or "", Gender=Customer.Gender
    )
    return Customer.salutation.fget(person)


def run_moment(as_of: date) -> datetime:
    """Now when planning today; the last instant of D when planning another day."""
    if as_of == clock.today():
        return clock.now()
    return clock.day_end(as_of) - timedelta(microseconds=1)


# --- the result ------------------------------------------------------------------------------


@dataclass
class PlannedTask:
    customer_id: int
    external_id: str | None
    purpose: str
    priority: str
    method: str
    due_at: datetime
    reason: str
    rule: CareRule
    team_id: int | None
    owner_id: int | None
    core: bool
    region: str
    source_type: str = ""
    source_id: int | None = None
    message_only: bool = False
    assignee_id: int | None = None
    assignee: str | None = None
    drafts: list[dict] = field(default_factory=list)
    replaces: str = ""  # today's untouched task of a lower purpose that this one cancels

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_external_id": self.external_id,
            "purpose": self.purpose,
            "priority": self.priority,
            "method": self.method,
            "due_at": clock.local(self.due_at).isoformat(),
            "assignee": self.assignee,
            "reason": self.reason,
        }


@dataclass
class Suppressed:
    customer_id: int
    external_id: str | None
    purpose: str
    reason_code: str
    reason: str
    rule_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_external_id": self.external_id,
            "purpose": self.purpose,
            "reason_code": self.reason_code,
            "reason": self.reason,
        }


@dataclass
class PlannedMessage:
    customer_id: int
    external_id: str | None
    purpose: str
    channel: str
    send_at: datetime | None
    status: str  # scheduled / suppressed (messaging's statuses)
    reason_code: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_external_id": self.external_id,
            "purpose": self.purpose,
            "channel": self.channel,
            "send_at": clock.local(self.send_at).isoformat() if self.send_at else None,
            "status": self.status,
            "reason_code": self.reason_code or None,
        }


@dataclass
class PlanResult:
    """What a run did. Counters always; the entries themselves only when `collect` (the CLI,
    the API, previews): the nightly job keeps none, so its memory does not grow with the plan."""

    as_of: date
    dry_run: bool = False
    collect: bool = True
    created: list[PlannedTask] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    messages: list[PlannedMessage] = field(default_factory=list)
    run_id: int | None = None
    seconds: float = 0.0
    tally: Counter = field(default_factory=Counter)

    def add_created(self, task: PlannedTask) -> None:
        self.tally.update(["created", f"created:{task.purpose}", f"priority:{task.priority}"])
        if self.collect:
            self.created.append(task)

    def add_suppressed(self, entry: Suppressed) -> None:
        self.tally.update(
            ["suppressed", f"suppressed:{entry.purpose}", f"reason:{entry.reason_code}"]
        )
        if self.collect:
            self.suppressed.append(entry)

    def add_message(self, message: PlannedMessage) -> None:
        if message.status != "suppressed":
            self.tally["messages"] += 1
        if self.collect:
            self.messages.append(message)

    def counts(self) -> dict[str, Any]:
        by_purpose: dict[str, dict[str, int]] = defaultdict(lambda: {"created": 0, "suppressed": 0})
        by_reason: dict[str, int] = {}
        by_priority: dict[str, int] = {}
        for key, n in self.tally.items():
            kind, _sep, name = key.partition(":")
            if kind in ("created", "suppressed") and name:
                by_purpose[name][kind] = n
            elif kind == "reason":
                by_reason[name] = n
            elif kind == "priority":
                by_priority[name] = n
        return {
            "created": self.tally["created"],
            "suppressed": self.tally["suppressed"],
            "messages": self.tally["messages"],
            "by_purpose": dict(by_purpose),
            "by_reason": by_reason,
            "by_priority": by_priority,
        }

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md §5: {"as_of", "created", "suppressed", "messages"}."""
        return {
            "as_of": self.as_of.isoformat(),
            "created": [t.to_json() for t in self.created],
            "suppressed": [s.to_json() for s in self.suppressed],
            "messages": [m.to_json() for m in self.messages],
        }


# --- assignment ------------------------------------------------------------------------------


@dataclass
class AgentSlot:
    pk: int
    username: str
    team_id: int | None
    capacity: int
    regions: list[str]
    skills: list[str]
    accepts: bool
    load: int = 0


class Assigner:
    """Owner first, when the owner is an active agent who accepts tasks and has room (a core
    customer — tier A — keeps the dedicated owner even over capacity); otherwise the least
    loaded agent of the customer's team who has room, covers the customer's region (an agent
    without regions covers all) and has the rule's skill (`params.skill`, when set); ties go
    to the lower user id. Nobody fits → the team's pool (no assignee). Two queries."""

    def __init__(self) -> None:
        from careloop.accounts.models import User

        self.agents: dict[int, AgentSlot] = {}
        users = User.objects.filter(is_active=True, role=User.Role.AGENT).select_related(
            "care_profile"
        )
        for user in users.order_by("pk"):
            profile = getattr(user, "care_profile", None)
            self.agents[user.pk] = AgentSlot(
                pk=user.pk,
                username=user.username,
                team_id=user.team_id,
                capacity=profile.capacity if profile else 40,
                regions=list(profile.regions or []) if profile else [],
                skills=list(profile.skills or []) if profile else [],
                accepts=profile.accepts_tasks if profile else True,
            )
        loads = (
            CallbackTask.objects.open()
            .filter(assignee__isnull=False)
            .values_list("assignee_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for pk, n in loads:
            if pk in self.agents:
                self.agents[pk].load = n
        self.by_team: dict[int | None, list[AgentSlot]] = defaultdict(list)
        for agent in self.agents.values():
            self.by_team[agent.team_id].append(agent)

    def assign(self, task: PlannedTask) -> None:
        strategy = task.rule.assignment
        if strategy == Assignment.POOL:
            return
        owner = self.agents.get(task.owner_id) if strategy == Assignment.OWNER_FIRST else None
        if owner and owner.accepts and (owner.load < owner.capacity or task.core):
            self._give(task, owner)
            return
        skill = (task.rule.params or {}).get("skill")
        best = None
        for agent in self.by_team.get(task.team_id, []) if task.team_id else []:
            if not agent.accepts or agent.load >= agent.capacity:
                continue
            if agent.regions and task.region not in agent.regions:
                continue
            if skill and skill not in agent.skills:
                continue
            if best is None or (agent.load, agent.pk) < (best.load, best.pk):
                best = agent
        if best is not None:
            self._give(task, best)

    @staticmethod
    def _give(task: PlannedTask, agent: AgentSlot) -> None:
        task.assignee_id, task.assignee = agent.pk, agent.username
        agent.load += 1


# --- the run ---------------------------------------------------------------------------------


def plan_day(
    *,
    as_of: date,
    dry_run: bool = False,
    purposes: list[str] | None = None,
    trigger: str = PlanRun.Trigger.MANUAL,
    user=None,
    rules: Iterable[CareRule] | None = None,
    customer_ids: Iterable[int] | None = None,
    now: datetime | None = None,
    collect: bool = True,
    fresh_day: bool = False,
) -> PlanResult:
    """Plan day D. `purposes` limits the run (the every-minute event run); `rules` replaces
    the enabled rules (a preview of a draft rule); `customer_ids` limits the customers (why did
    this customer get nothing?). Both of the latter are for dry runs. `collect=False` keeps only
    the counts (the nightly job). `fresh_day=True` ignores what D's earlier runs planned, as if
    the day were not planned yet (a rule preview in the afternoon)."""
    started = time.monotonic()
    moment = now or run_moment(as_of)
    with transaction.atomic(), plan_run_memo():
        result = PlanResult(as_of=as_of, dry_run=dry_run, collect=collect)
        _run_settings()
        if not dry_run and not _lock(wait=trigger != PlanRun.Trigger.EVENT):
            # The every-minute event run does not queue up behind a long nightly run: the
            # next minute's run picks up what this one would have found.
            log.info("plan.busy", extra={"as_of": as_of.isoformat()})
            return result
        planner = _Planner(result, now=moment, customer_ids=customer_ids, fresh_day=fresh_day)
        planner.run(_rules(rules, purposes))
        result.seconds = round(time.monotonic() - started, 3)
        if dry_run:
            transaction.set_rollback(True)  # everything above was written, and is undone
        else:
            result.run_id = _record(result, trigger=trigger, user=user, purposes=purposes)
    log.info(
        "plan.done",
        extra={
            "as_of": as_of.isoformat(),
            "dry_run": dry_run,
            "tasks": result.tally["created"],
            "suppressions": result.tally["suppressed"],
            "seconds": result.seconds,
        },
    )
    return result


def _run_settings() -> None:
    """PostgreSQL settings for the run's transaction. `jit = off`: PostgreSQL compiled a query
    costed above `jit_above_cost` with LLVM before running it, 3–6 s for one rule's candidate
    query at 1M customers, which then runs in ~1.3 s without it. `cursor_tuple_fraction = 1`:
    a server-side cursor is planned for its first 10 % of rows by default, so the churn-rescue
    rule walked the whole customers primary key in id order (0.8 s a page of 2,000, 7.7 s in
    all) instead of the 0.3 s bitmap scan and sort; the planner reads every row of its cursors."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1")


def _lock(*, wait: bool = True) -> bool:
    """One writing run at a time; False when `wait` is off and another run holds the lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if wait:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PLAN_LOCK_KEY])
                return True
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [PLAN_LOCK_KEY])
            return bool(cursor.fetchone()[0])
    # SQLite: the project opens transactions IMMEDIATE, so a writing run holds the lock from
    # its first statement and a second run waits (busy_timeout) for the first to commit.
    return True


def _rules(rules: Iterable[CareRule] | None, purposes: list[str] | None) -> list[CareRule]:
    if rules is None:
        rules = CareRule.objects.filter(enabled=True).order_by("id")
    known = {p.key: p.precedence for p in registry.all_purposes()}
    chosen = [r for r in rules if r.purpose in known and (not purposes or r.purpose in purposes)]
    return sorted(chosen, key=lambda r: (known[r.purpose], r.pk or 0))


class _Planner:
    """Rule by rule in precedence order, candidates in pages of CHUNK customers (keyset on id:
    no cursor stays open while the page is written). Each page is decided, its messages
    scheduled, its tasks assigned and written before the next page is read, so later rules see
    earlier rules' tasks in the database (precedence) and memory holds one page."""

    def __init__(
        self,
        result: PlanResult,
        *,
        now: datetime,
        customer_ids: Iterable[int] | None,
        fresh_day: bool = False,
    ):
        self.result = result
        self.fresh_day = fresh_day
        self.as_of = result.as_of
        self.now = now
        self.customer_ids = list(customer_ids) if customer_ids is not None else None
        self.proactive_keys = [p.key for p in registry.all_purposes() if p.proactive]
        self.precedence = {p.key: p.precedence for p in registry.all_purposes()}
        self._assigner: Assigner | None = None
        self._labels: dict[str, str] = {}
        self.written = 0  # rows written since the last ANALYZE …
        self.analyzed = 0  # … and before it: statistics are refreshed each time they double
        self.messages_written = 0  # the same for scheduled messages
        self.messages_analyzed = 0
        self._tasks_seen = False  # once a task exists, it stays for the run (see `_no_tasks`)

    def label(self, key: str) -> str:
        """A purpose's label in the run's language (looked up once per run)."""
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = str(registry.get(key).label)
        return found

    def run(self, rules: list[CareRule]) -> None:
        for rule in rules:
            purpose = registry.get(rule.purpose)
            ctx = PlanContext(
                as_of=self.as_of, now=self.now, rule=rule, customers=self._audience(rule)
            )
            if self.written >= max(ANALYZE_AFTER, self.analyzed):
                self._analyze()
            for rows in self._pages(self._candidates(purpose, ctx), purpose):
                tasks: list[PlannedTask] = []
                suppressed: list[Suppressed] = []
                for row in rows:
                    decided = self._decide(purpose, ctx, row)
                    (tasks if isinstance(decided, PlannedTask) else suppressed).append(decided)
                self._flush(tasks, suppressed)
            extra = purpose.extra_messages(ctx)
            for first in range(0, len(extra), CHUNK):
                self._messages([(None, d) for d in extra[first : first + CHUNK]])

    def _analyze(self) -> None:
        """PostgreSQL plans the next rule's NOT EXISTS on tasks and suppressions from table
        statistics; rows this run wrote (uncommitted, so autovacuum cannot see them) would be
        missing, and a plan made for an empty table walks all of them for every candidate.
        ANALYZE inside the transaction counts them (it samples, ~0.1 s). It runs before a
        rule's query is planned (a rule is one cursor: statistics refreshed during it would
        serve nobody), once 1,000 rows are written and again whenever they have doubled. Small
        runs (the event run every minute, one customer's explanation) never run it."""
        self.analyzed += self.written
        self.written = 0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE care_callbacktask, care_plansuppression")

    def _analyze_messages(self, written: int) -> None:
        """The frequency cap looks up each batch's customers' recent marketing messages. With
        statistics taken while the table was empty, PostgreSQL walks every message this run has
        written (the (status, send_at) index, estimated at a few rows) for each batch: quadratic,
        9 of 65 s at 1M customers. Messages are not read through the rule's cursor, so their
        statistics are refreshed as soon as the written rows double, even within a rule."""
        self.messages_written += written
        if connection.vendor != "postgresql":
            return
        if self.messages_written >= max(ANALYZE_AFTER, 2 * self.messages_analyzed):
            self.messages_analyzed = self.messages_written
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE messaging_scheduledmessage")

    def _audience(self, rule: CareRule) -> QuerySet:
        customers = Customer.objects.all()
        if getattr(rule, "audience_id", None):
            from careloop.segments.selectors import saved_segment_customers

            customers = saved_segment_customers(segment=rule.audience)
        if self.customer_ids is not None:
            customers = customers.filter(pk__in=self.customer_ids)
        return customers

    def _candidates(self, purpose: Purpose, ctx: PlanContext) -> QuerySet:
        """The rule's candidates with what `_decide` reads (step 2 of the module docstring)."""
        qs = purpose.candidates(ctx)
        same = CallbackTask.objects.filter(customer_id=OuterRef("pk"), purpose=purpose.key)
        recorded = PlanSuppression.objects.filter(
            customer_id=OuterRef("pk"), purpose=purpose.key, plan_date=self.as_of
        )
        if self.fresh_day:  # as if D had not been planned: its tasks do not count
            same = same.exclude(plan_date=self.as_of)
        else:
            # Planned or suppressed for this purpose on D already (an earlier run, or another
            # rule of the same purpose): nothing new to say.
            qs = qs.exclude(Exists(same.filter(plan_date=self.as_of))).exclude(Exists(recorded))
        lookups = not self._no_tasks()  # see `_no_tasks`
        open_statuses = same.filter(status__in=CallbackTask.OPEN_STATUSES)
        qs = qs.annotate(open_task=Exists(open_statuses) if lookups else Value(False))
        if purpose.proactive and not self.fresh_day:
            if lookups:
                today = CallbackTask.objects.filter(
                    customer_id=OuterRef("pk"),
                    plan_date=self.as_of,
                    purpose__in=self.proactive_keys,
                ).order_by()
                lower = [k for k in self.proactive_keys if self.precedence[k] > purpose.precedence]
                untouched = today.filter(
                    purpose__in=lower, status=CallbackTask.Status.OPEN, attempts=0
                )
                # today's task of a lower purpose nobody has started: this one replaces it
                slot = Subquery(today.values("purpose")[:1])
                yields = Subquery(untouched.values("purpose")[:1])
            else:
                slot = yields = Value(None, CharField())
            qs = qs.annotate(slot=slot, yields=yields)
        return qs

    def _no_tasks(self) -> bool:
        """PostgreSQL, no callback task at all when a rule starts (the first night, a new
        install): the rule's cursor reads its snapshot of an empty table, so the three per-row
        lookups (open task, today's slot, the task it replaces) can only find nothing, and are
        left out. Planned on statistics taken while the table was empty they are scans of the
        whole table, which the rule fills as it goes (quadratic: 16,628 churn-rescue rows took
        ~10 s at 1M customers). SQLite re-reads page by page and probes an index: unchanged."""
        if self._tasks_seen or connection.vendor != "postgresql":
            return False
        self._tasks_seen = CallbackTask.objects.exists()
        return not self._tasks_seen

    def _pages(self, qs: QuerySet, purpose: Purpose) -> Iterator[list[dict]]:
        names = list(dict.fromkeys([*ROW_FIELDS, *purpose.row_fields, *qs.query.annotation_select]))
        qs = qs.order_by("pk").values(*names)
        if connection.vendor == "postgresql":
            # One pass through a server-side cursor. PostgreSQL plans the NOT EXISTS above as
            # anti-joins over whole index ranges, so a query per page would rescan them each
            # time (quadratic). The cursor's snapshot does not see the pages written while it
            # is open, which concern only customers it has already passed.
            page: list[dict] = []
            for row in qs.iterator(chunk_size=CHUNK):
                page.append(row)
                if len(page) == CHUNK:
                    yield page
                    page = []
            if page:
                yield page
            return
        # SQLite probes the indexes per row (correlated subqueries); pages by id keep no
        # cursor open while each page is written.
        last = 0
        while True:
            rows = list(qs.filter(pk__gt=last)[:CHUNK])
            if rows:
                yield rows
            if len(rows) < CHUNK:
                return
            last = rows[-1]["pk"]

    def _decide(self, purpose: Purpose, ctx: PlanContext, row: dict) -> PlannedTask | Suppressed:
        def no(code: str, why: str) -> Suppressed:
            return Suppressed(row["pk"], row["external_id"], purpose.key, code, why, ctx.rule.pk)

        if purpose.proactive and row["do_not_contact"]:
            return no(Reason.DO_NOT_CONTACT, _("客户设置了免打扰"))
        if row["open_task"]:
            return no(
                Reason.DUPLICATE,
                _("已有未完成的%(purpose)s任务") % {"purpose": self.label(purpose.key)},
            )
        share = ctx.rule.holdout_share
        if (
            purpose.holdout
            and share
            and holdout_bucket_of(row["pk"], ctx.rule.holdout_salt) < share * HOLDOUT_BUCKETS
        ):
            why = _("对照组客户(比例 %(share)s%%),不安排关怀") % {
                "share": f"{float(share) * 100:g}"
            }
            return no(Reason.HOLDOUT, why)
        if purpose.proactive and row.get("slot"):
            if row["slot"] != row.get("yields"):
                why = _("今天已安排更优先的关怀:%(purpose)s") % {"purpose": self.label(row["slot"])}
                return no(Reason.PRECEDENCE, why)
            task = self._task(purpose, ctx, row)
            task.replaces = row["yields"]
            return task
        return self._task(purpose, ctx, row)

    @staticmethod
    def _by_tier(purpose: Purpose, ctx: PlanContext, tier: str | None) -> tuple:
        """(method, priority, message channels, message only) for a tier: the same for every
        customer of the tier, so worked out once per rule."""
        key = ("by_tier", tier)
        found = ctx.extra.get(key)
        if found is None:
            name = tier or "none"
            by_tier = purpose.methods_for(ctx)
            chosen = by_tier.get(name) or by_tier.get("none")
            methods = [chosen] if isinstance(chosen, str) else list(chosen or ["phone"])
            calls = [m for m in methods if m not in MESSAGE_METHODS]
            tiers = (ctx.rule.params or {}).get("tier_priority") or purpose.tier_priority
            found = ctx.extra[key] = (
                calls[0] if calls else methods[0],
                tiers.get(name) or ctx.rule.priority,
                [m for m in methods if m in MESSAGE_METHODS],
                not calls,
            )
        return found

    def _task(self, purpose: Purpose, ctx: PlanContext, row: dict) -> PlannedTask:
        row["salutation"] = salutation(row)
        method, priority, channels, message_only = self._by_tier(purpose, ctx, row["tier"])
        task = PlannedTask(
            customer_id=row["pk"],
            external_id=row["external_id"],
            purpose=purpose.key,
            priority=priority,
            method=method,
            due_at=purpose.due_at(row, ctx, method=method, priority=priority),
            reason=purpose.reason(row, ctx)[:255],
            rule=ctx.rule,
            team_id=row["team_id"],
            owner_id=row["owner_id"],
            core=row["tier"] == "A" or row["value_class"] == "core",
            region=row["region"] or "",
            source_type=purpose.source_type if row.get("src_id") is not None else "",
            source_id=row.get("src_id"),
            message_only=message_only,
        )
        for channel in channels:
            task.drafts.append(
                {
                    "purpose": purpose.key,
                    "channel": channel,
                    "body": purpose.message_body(row, ctx) or task.reason,
                    "marketing": purpose.marketing,
                    "not_before": purpose.message_not_before(row, ctx),
                    "source_type": task.source_type,
                    "source_id": task.source_id,
                    "main": True,
                }
            )
        task.drafts += purpose.task_messages(row, ctx)
        return task

    def _flush(self, tasks: list[PlannedTask], suppressed: list[Suppressed]) -> None:
        """One page: messages, assignment, then the bulk writes."""
        refused = self._messages([(t, d) for t in tasks for d in t.drafts])
        suppressed += refused.values()
        tasks = [t for t in tasks if id(t) not in refused]
        suppressed += self._replace([t for t in tasks if t.replaces])
        calls = [t for t in tasks if not t.message_only]
        if calls:
            if self._assigner is None:
                self._assigner = Assigner()
            for task in sorted(calls, key=lambda t: (PRIORITY_RANK[t.priority], t.due_at)):
                self._assigner.assign(task)
        _write(self.as_of, tasks, suppressed)
        self.written += len(tasks) + len(suppressed)
        for task in tasks:
            self.result.add_created(task)
        for entry in suppressed:
            self.result.add_suppressed(entry)

    def _replace(self, tasks: list[PlannedTask]) -> list[Suppressed]:
        """A higher purpose that arrives later in the day (a detractor answer after the
        morning's wake-up task) takes the day's slot: the lower task, if still untouched, is
        cancelled and recorded as suppressed by precedence. One UPDATE per replaced purpose."""
        replaced: list[Suppressed] = []
        by_purpose: dict[str, list[PlannedTask]] = defaultdict(list)
        for task in tasks:
            by_purpose[task.replaces].append(task)
        for key, group in by_purpose.items():
            CallbackTask.objects.filter(
                plan_date=self.as_of,
                purpose=key,
                customer_id__in=[t.customer_id for t in group],
                status=CallbackTask.Status.OPEN,
                attempts=0,
            ).update(status=CallbackTask.Status.CANCELLED, closed_at=clock.now())
            for task in group:
                why = _("已被今天更优先的关怀取代:%(purpose)s") % {
                    "purpose": self.label(task.purpose)
                }
                replaced.append(
                    Suppressed(
                        task.customer_id, task.external_id, key, Reason.PRECEDENCE, why, None
                    )
                )
        return replaced

    def _messages(self, owned: list[tuple[PlannedTask | None, dict]]) -> dict[int, Suppressed]:
        """Schedule a page's messages in one batch (quiet hours, frequency cap and opt-out are
        messaging's); returns the message-only tasks whose message was refused, as suppressed
        entries keyed by id(task)."""
        if not owned:
            return {}
        from careloop.messaging.services import MessageDraft, messages_schedule_bulk

        drafts = [
            MessageDraft(
                customer_id=task.customer_id if task else d["customer_id"],
                purpose=d["purpose"],
                body=d["body"],
                channel=d["channel"],
                marketing=d["marketing"],
                not_before=d["not_before"],
                respect_quiet_hours=d.get("respect_quiet_hours", True),
                source_type=d.get("source_type") or "",
                source_id=d.get("source_id"),
            )
            for task, d in owned
        ]
        refused: dict[int, Suppressed] = {}
        scheduled = messages_schedule_bulk(drafts)
        self._analyze_messages(len(scheduled))
        for (task, draft), message in zip(owned, scheduled, strict=True):
            reason = message.suppressed_reason or ""
            ext = task.external_id if task else draft.get("external_id")
            self.result.add_message(
                PlannedMessage(
                    message.customer_id, ext, draft["purpose"], draft["channel"],
                    message.send_at, message.status, MESSAGE_SUPPRESSION.get(reason, reason),
                )
            )  # fmt: skip
            if task is not None and task.message_only and draft.get("main") and reason:
                why = {
                    "frequency_cap": _("7 天内已发送过营销消息(频率上限)"),
                    "opt_out": _("客户已退订营销消息"),
                }.get(reason, _("客户设置了免打扰"))
                refused[id(task)] = Suppressed(
                    task.customer_id,
                    task.external_id,
                    task.purpose,
                    MESSAGE_SUPPRESSION.get(reason, Reason.FREQUENCY_CAP),
                    why,
                    task.rule.pk,
                )
        return refused


TASK_COLUMNS = (
    "customer_id", "purpose", "priority", "priority_rank", "method", "due_at", "status",
    "closed_at", "assignee_id", "team_id", "attempts", "rule_id", "rule_version", "reason",
    "plan_date", "source_type", "source_id", "created_at",
)  # fmt: skip
SUPPRESSION_COLUMNS = (
    "plan_date", "customer_id", "purpose", "rule_id", "reason_code", "reason", "created_at",
)  # fmt: skip


def _write(as_of: date, planned: list[PlannedTask], suppressed: list[Suppressed]) -> None:
    """One page's tasks and suppressions, INSERT … ON CONFLICT DO NOTHING of plain tuples (one
    statement each on PostgreSQL, see `insert_rows`): a row that another run wrote first is
    skipped by the unique constraints, never duplicated."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(clock.now())
    day = ops.adapt_datefield_value(as_of)
    done, open_ = CallbackTask.Status.DONE.value, CallbackTask.Status.OPEN.value
    insert_rows(
        CallbackTask,
        TASK_COLUMNS,
        [
            (
                t.customer_id,
                t.purpose,
                t.priority,
                PRIORITY_RANK[t.priority],
                t.method,
                ops.adapt_datetimefield_value(t.due_at),
                done if t.message_only else open_,
                now if t.message_only else None,
                t.assignee_id,
                t.team_id,
                0,
                t.rule.pk,
                t.rule.version,
                t.reason,
                day,
                t.source_type,
                t.source_id,
                now,
            )
            for t in planned
        ],
        ignore_conflicts=True,
    )
    insert_rows(
        PlanSuppression,
        SUPPRESSION_COLUMNS,
        [
            (day, s.customer_id, s.purpose, s.rule_id, s.reason_code, s.reason[:255], now)
            for s in suppressed
        ],
        ignore_conflicts=True,
    )


def _record(result: PlanResult, *, trigger: str, user, purposes: list[str] | None) -> int | None:
    """The PlanRun row (and the audit entry of a person's run). The every-minute event run
    records nothing when it found nothing."""
    counts = result.counts()
    if trigger == PlanRun.Trigger.EVENT and not (counts["created"] or counts["suppressed"]):
        return None
    run = PlanRun.objects.create(
        as_of=result.as_of,
        dry_run=False,
        trigger=trigger,
        user=user if user is not None and user.pk else None,
        purposes=list(purposes or []),
        finished_at=clock.now(),
        counts=counts,
    )
    if user is not None and user.pk:
        from careloop.accounts.services import audit_record

        audit_record(actor=user, action="care.plan_run", target=run, detail=counts)
    return run.pk
