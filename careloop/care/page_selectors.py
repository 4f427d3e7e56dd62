"""Reads behind the care pages (rules, plan, tasks, agents, the customer panel), scoped to the
acting user. The engine's own reads are in `selectors.py`; these add what the pages show:
rule summaries in words, version diffs, the plan of a day in aggregates, agent load."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careloop.accounts.models import Team, User
from careloop.care import purposes as registry
from careloop.care.models import (
    TIER_KEYS,
    AgentProfile,
    Assignment,
    CallbackTask,
    CareRule,
    CareRuleVersion,
    Method,
    PlanRun,
    PlanSuppression,
    Priority,
)
from careloop.care.selectors import TaskFilters, callback_task_list
from careloop.core import clock

# The trigger parameters of the default rules, in words (unknown keys show as they are).
PARAM_LABELS = {
    "window_days": gettext_lazy("时间窗口(天)"),
    "cooldown_days": gettext_lazy("再次安排间隔(天)"),
    "days_ahead": gettext_lazy("提前天数"),
    "days_before": gettext_lazy("节前天数"),
    "from_days": gettext_lazy("首单距今最少(天)"),
    "to_days": gettext_lazy("首单距今最多(天)"),
    "welcome_message": gettext_lazy("首单次日发送使用指南"),
    "apology": gettext_lazy("受理 1 小时内发送致歉消息"),
    "nps_max": gettext_lazy("NPS 不高于"),
    "csat_max": gettext_lazy("CSAT 不高于"),
    "max_hours": gettext_lazy("最迟(小时)"),
    "customer_days": gettext_lazy("成为客户天数"),
    "ordered_within_days": gettext_lazy("下单窗口(天)"),
    "no_callback_days": gettext_lazy("无回访天数"),
    "tier_priority": gettext_lazy("按价值等级的优先级"),
    "holiday_methods": gettext_lazy("节日的回访方式"),
    "message": gettext_lazy("通知内容"),
    "skill": gettext_lazy("所需技能"),
}
FIELD_LABELS = {
    "name": gettext_lazy("规则名称"),
    "enabled": gettext_lazy("启用"),
    "priority": gettext_lazy("优先级"),
    "due_days": gettext_lazy("到期天数"),
    "due_hours": gettext_lazy("到期小时数"),
    "methods": gettext_lazy("回访方式"),
    "params": gettext_lazy("触发参数"),
    "audience_id": gettext_lazy("目标分群"),
    "script_template": gettext_lazy("话术模板"),
    "assignment": gettext_lazy("分配方式"),
    "holdout_share": gettext_lazy("对照组比例"),
}
TIER_LABELS = {"A": "A", "B": "B", "C": "C", "none": gettext_lazy("无等级")}
REASON_LABELS = {
    PlanSuppression.Reason.PRECEDENCE: gettext_lazy("优先级让位"),
    PlanSuppression.Reason.HOLDOUT: gettext_lazy("对照组"),
    PlanSuppression.Reason.DO_NOT_CONTACT: gettext_lazy("免打扰"),
    PlanSuppression.Reason.DUPLICATE: gettext_lazy("重复"),
    PlanSuppression.Reason.FREQUENCY_CAP: gettext_lazy("频次上限"),
}
SLA_WINDOW = timedelta(hours=24)


def may_plan(user: User) -> bool:
    return user.is_admin or user.is_supervisor


def purpose_label(key: str) -> str:
    try:
        return str(registry.get(key).label)
    except KeyError:
        return key


# --- rules -----------------------------------------------------------------------------------


def methods_text(methods: dict[str, Any]) -> list[tuple[str, str]]:
    """[("A", "上门"), ("B", "电话"), ("C", "短信 + 电话")] in tier order."""
    names = dict(Method.choices)
    found = []
    for tier in TIER_KEYS:
        chosen = (methods or {}).get(tier)
        if not chosen:
            continue
        items = [chosen] if isinstance(chosen, str) else chosen
        found.append((str(TIER_LABELS[tier]), " + ".join(str(names.get(m, m)) for m in items)))
    return found


def _tier_map_text(value: dict) -> str:
    """{"A": "high", "B": "phone"} → "A 高 · B 电话" (priorities and methods in words)."""
    words = dict(Priority.choices) | dict(Method.choices)
    return " · ".join(
        f"{TIER_LABELS.get(t, t)} {words.get(v, v) if isinstance(v, str) else v}"
        for t, v in value.items()
    )


def param_text(key: str, value: Any) -> str:
    from careloop.workcal.services import CARE_HOLIDAY_NAMES

    label = str(PARAM_LABELS.get(key, key))
    if isinstance(value, bool):
        return f"{label}:{_('是') if value else _('否')}"
    if isinstance(value, dict) and value and all(k in TIER_LABELS for k in value):
        return f"{label}:{_tier_map_text(value)}"
    if key == "holiday_methods" and isinstance(value, dict):
        parts = [
            f"{CARE_HOLIDAY_NAMES.get(code, code)} {_tier_map_text(tiers)}"
            for code, tiers in value.items()
            if isinstance(tiers, dict)
        ]
        return f"{label}:{';'.join(parts) or '—'}"
    if isinstance(value, dict | list):
        return f"{label}:{json.dumps(value, ensure_ascii=False)}"
    return f"{label}:{value if value not in ('', None) else '—'}"


def due_text(rule: CareRule) -> str:
    from careloop.care.models import PRIORITY_DUE_DAYS

    if rule.due_hours:
        return _("事件后 %(n)s 小时") % {"n": rule.due_hours}
    if rule.due_days:
        return _("%(n)s 天内") % {"n": rule.due_days}
    default = PRIORITY_DUE_DAYS.get(rule.priority)
    return _("按优先级(%(n)s 天)") % {"n": default} if default else "—"


@dataclass
class RuleRow:
    rule: CareRule
    label: str
    trigger: str
    params: list[str]
    methods: list[tuple[str, str]]
    due: str
    holdout_pct: str
    has_holdout: bool
    precedence: int


def holdout_pct(share) -> str:
    """Decimal("0.050") → "5%"."""
    text = f"{share * 100:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def rule_rows(rules: list[CareRule]) -> list[RuleRow]:
    """What the rules page says about each rule, highest precedence first (no queries)."""
    rows = []
    for rule in rules:
        try:
            purpose = registry.get(rule.purpose)
        except KeyError:
            continue
        rows.append(
            RuleRow(
                rule=rule,
                label=str(purpose.label),
                trigger=str(purpose.trigger_text),
                params=[param_text(k, v) for k, v in (rule.params or {}).items()],
                methods=methods_text(rule.methods or purpose.default_methods),
                due=due_text(rule),
                holdout_pct=holdout_pct(rule.holdout_share),
                has_holdout=purpose.holdout,
                precedence=purpose.precedence,
            )
        )
    return sorted(rows, key=lambda r: (r.precedence, r.rule.pk))


def care_rule_for(rule_id: int) -> CareRule:
    from careloop.core.errors import NotFound

    rule = CareRule.objects.select_related("audience", "updated_by").filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("规则不存在"), field="rule")
    return rule


@dataclass
class VersionRow:
    version: CareRuleVersion
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, before, after)


def _value_text(key: str, value: Any, segments: dict[int, str]) -> str:
    if value in (None, "", {}, []):
        return "—"
    if key == "enabled":
        return _("是") if value else _("否")
    if key == "priority":
        return str(dict(Priority.choices).get(value, value))
    if key == "assignment":
        return str(dict(Assignment.choices).get(value, value))
    if key == "methods":
        return ";".join(f"{t}:{m}" for t, m in methods_text(value))
    if key == "params":
        return ";".join(param_text(k, v) for k, v in value.items())
    if key == "holdout_share":
        from decimal import Decimal

        return holdout_pct(Decimal(str(value)))
    if key == "audience_id":
        return segments.get(value, f"#{value}")
    return str(value)


def rule_versions(rule: CareRule) -> list[VersionRow]:
    """Every saved version, newest first, each with the fields that changed from the version
    before it (in words). Two queries, however many versions."""
    from careloop.segments.models import SavedSegment

    versions = list(
        CareRuleVersion.objects.filter(rule=rule).select_related("changed_by").order_by("version")
    )
    ids = {v.snapshot.get("audience_id") for v in versions} - {None}
    segments = dict(SavedSegment.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows: list[VersionRow] = []
    before: dict[str, Any] = {}
    for version in versions:
        row = VersionRow(version)
        for key, label in FIELD_LABELS.items():
            new = version.snapshot.get(key)
            if before and before.get(key) != new:
                row.changes.append(
                    (
                        str(label),
                        _value_text(key, before.get(key), segments),
                        _value_text(key, new, segments),
                    )
                )
        before = version.snapshot
        rows.append(row)
    return rows[::-1]


@dataclass
class RulePreview:
    total: int  # tasks the rule would create today, company-wide
    in_scope: int  # of which for customers in the user's team (admin: all)
    sample: list  # up to `sample` of those customers, in plan order


def rule_preview(*, draft: CareRule, user: User, as_of: date, sample: int = 10) -> RulePreview:
    """The rule as edited, on its own, as a dry run of the planner (nothing is written): how
    many tasks, how many in the user's team, and a sample of those customers (one query)."""
    from careloop.care.planner import plan_day
    from careloop.customers.models import Customer

    created = plan_day(as_of=as_of, dry_run=True, rules=[draft]).created
    mine = [t for t in created if user.is_admin or (user.team_id and t.team_id == user.team_id)]
    ids = [t.customer_id for t in mine[:sample]]
    found = Customer.objects.visible_to(user).in_bulk(ids)
    return RulePreview(
        total=len(created), in_scope=len(mine), sample=[found[i] for i in ids if i in found]
    )


# --- the plan of a day -----------------------------------------------------------------------


def _scoped_tasks(user: User) -> QuerySet[CallbackTask]:
    return CallbackTask.objects.visible_to(user)


def scoped_suppressions(user: User) -> QuerySet[PlanSuppression]:
    """Suppressions of the customers in the user's team (admin: all)."""
    qs = PlanSuppression.objects.all()
    if user.is_admin:
        return qs
    return qs.filter(customer__team_id=user.team_id) if user.team_id else qs.none()


@dataclass
class PlanOverview:
    as_of: date
    total: int
    matrix: list[dict]  # per purpose: label, counts per priority, total, suppressed
    teams: list[dict]  # team name, created, open
    reasons: list[dict]  # reason_code, label, n
    suppressed_total: int
    chart: dict


def plan_overview(*, user: User, as_of: date) -> PlanOverview:
    """Tasks planned on D by purpose × priority and by team, and the suppressed candidates by
    reason, within the user's scope. Three grouped queries."""
    tasks = _scoped_tasks(user).filter(plan_date=as_of)
    cells: dict[str, dict[str, int]] = {}
    for purpose, priority, n in (
        tasks.values_list("purpose", "priority").annotate(n=Count("pk")).order_by()
    ):
        cells.setdefault(purpose, {})[priority] = n
    suppressed: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for purpose, code, n in (
        scoped_suppressions(user)
        .filter(plan_date=as_of)
        .values_list("purpose", "reason_code")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        suppressed[purpose] = suppressed.get(purpose, 0) + n
        reasons[code] = reasons.get(code, 0) + n
    matrix = []
    for purpose in registry.all_purposes():
        counts = cells.get(purpose.key, {})
        row = {
            "key": purpose.key,
            "label": str(purpose.label),
            "counts": [counts.get(p, 0) for p in Priority.values],
            "total": sum(counts.values()),
            "suppressed": suppressed.get(purpose.key, 0),
        }
        matrix.append(row)
    teams = [
        {"name": name or _("无团队"), "created": n, "open": n_open, "pool": n_pool}
        for name, n, n_open, n_pool in tasks.values_list("team__name")
        .annotate(
            n=Count("pk"),
            n_open=Count("pk", filter=Q(status__in=CallbackTask.OPEN_STATUSES)),
            n_pool=Count(
                "pk", filter=Q(status__in=CallbackTask.OPEN_STATUSES, assignee__isnull=True)
            ),
        )
        .order_by("team__name")
    ]
    reason_rows = [
        {"code": code, "label": str(REASON_LABELS[code]), "n": reasons.get(code, 0)}
        for code in PlanSuppression.Reason.values
    ]
    shown = [r for r in matrix if r["total"]]
    chart = {
        "purposes": [r["label"] for r in shown],
        "series": [
            {"name": str(label), "data": [r["counts"][i] for r in shown]}
            for i, (_value, label) in enumerate(Priority.choices)
        ],
        "title": _("按关怀目的与优先级"),
    }
    return PlanOverview(
        as_of=as_of,
        total=sum(r["total"] for r in matrix),
        matrix=matrix,
        teams=teams,
        reasons=reason_rows,
        suppressed_total=sum(reasons.values()),
        chart=chart,
    )


def agents_in_scope(user: User) -> QuerySet[User]:
    """Active agents the user manages: admin all, supervisor their team's."""
    qs = User.objects.filter(is_active=True, role=User.Role.AGENT)
    if not user.is_admin:
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.none()
    return qs.select_related("team", "care_profile").order_by("team__name", "username")


@dataclass
class AgentLoad:
    agent: User
    open: int
    overdue: int
    capacity: int
    regions: list[str]
    skills: list[str]
    accepts: bool

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.open / self.capacity)) if self.capacity else 100

    @property
    def full(self) -> bool:
        return self.open >= self.capacity


def agent_load_queryset(user: User) -> QuerySet[User]:
    """Agents in scope annotated with their open and overdue tasks (one query a page)."""
    now = clock.now()
    open_q = Q(callback_tasks__status__in=CallbackTask.OPEN_STATUSES)
    return agents_in_scope(user).annotate(
        n_open=Count("callback_tasks", filter=open_q),
        n_overdue=Count("callback_tasks", filter=open_q & Q(callback_tasks__due_at__lt=now)),
    )


def agent_loads(*, user: User | None = None, agents=None) -> list[AgentLoad]:
    """Each agent (in scope, or the given annotated page) with open tasks against capacity."""
    default = AgentProfile._meta.get_field("capacity").default
    loads = []
    for agent in agents if agents is not None else agent_load_queryset(user):
        profile = getattr(agent, "care_profile", None)
        loads.append(
            AgentLoad(
                agent=agent,
                open=agent.n_open,
                overdue=agent.n_overdue,
                capacity=profile.capacity if profile else default,
                regions=list(profile.regions or []) if profile else [],
                skills=list(profile.skills or []) if profile else [],
                accepts=profile.accepts_tasks if profile else True,
            )
        )
    return loads


def sla_at_risk(*, user: User) -> dict[str, int]:
    """Open tasks in scope: overdue, due within 24 h, escalated. One query."""
    now = clock.now()
    return (
        _scoped_tasks(user)
        .open()
        .aggregate(
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            due_soon=Count("pk", filter=Q(due_at__gte=now, due_at__lt=now + SLA_WINDOW)),
            escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
        )
    )


def sla_tasks(*, user: User, limit: int = 10) -> list[CallbackTask]:
    """The most urgent open tasks at risk (overdue first), for the plan page."""
    return list(
        _scoped_tasks(user)
        .open()
        .filter(due_at__lt=clock.now() + SLA_WINDOW)
        .select_related("customer", "assignee")
        .order_by("due_at", "id")[:limit]
    )


def suppression_list(
    *, user: User, as_of: date, reason_code: str = "", purpose: str = ""
) -> QuerySet[PlanSuppression]:
    qs = scoped_suppressions(user).filter(plan_date=as_of)
    if reason_code:
        qs = qs.filter(reason_code=reason_code)
    if purpose:
        qs = qs.filter(purpose=purpose)
    return qs.select_related("customer").order_by("purpose", "customer_id")


def latest_run(*, as_of: date) -> PlanRun | None:
    return PlanRun.objects.filter(as_of=as_of).select_related("user").order_by("-id").first()


def last_run_id() -> int:
    return PlanRun.objects.order_by("-id").values_list("pk", flat=True).first() or 0


def manual_run_after(*, as_of: date, after: int) -> PlanRun | None:
    """The "run now" of D that finished after run `after` (the plan page polls for it)."""
    runs = PlanRun.objects.filter(as_of=as_of, pk__gt=after, trigger=PlanRun.Trigger.MANUAL)
    return runs.order_by("-id").first()


@dataclass
class CustomerToday:
    found: list  # every enabled purpose's Explanation
    decided: list  # created, pending, suppressed (in that order), created ones with `.task`
    not_candidates: list


def customer_today(*, customer, as_of: date) -> CustomerToday:
    """Why the customer got or did not get a task on D (the engine's explanation), with the
    created tasks' assignee and the reason codes in words."""
    from careloop.care.services import plan_explain_customer

    found = plan_explain_customer(customer=customer, as_of=as_of)
    ids = [e.task_id for e in found if e.task_id]
    tasks = CallbackTask.objects.filter(pk__in=ids).select_related("assignee").in_bulk()
    for entry in found:
        entry.task = tasks.get(entry.task_id)
        entry.reason_label = REASON_LABELS.get(entry.reason_code, "")
    order = {"created": 0, "pending": 1, "suppressed": 2}
    decided = sorted((e for e in found if e.outcome in order), key=lambda e: order[e.outcome])
    return CustomerToday(
        found=found,
        decided=decided,
        not_candidates=[e for e in found if e.outcome == "not_candidate"],
    )


# --- tasks -----------------------------------------------------------------------------------


@dataclass
class TaskPageFilters(TaskFilters):
    team: int | None = None
    due_on: date | None = None


def task_page_list(*, user: User, filters: TaskPageFilters) -> QuerySet[CallbackTask]:
    """The engine's scoped task list plus the page's extra filters (team, due on a day)."""
    qs = callback_task_list(user=user, filters=filters)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.due_on:
        qs = qs.filter(
            due_at__gte=clock.day_start(filters.due_on), due_at__lt=clock.day_end(filters.due_on)
        )
    return qs


def teams_in_scope(user: User) -> QuerySet[Team]:
    if user.is_admin:
        return Team.objects.order_by("name")
    return Team.objects.filter(pk=user.team_id) if user.team_id else Team.objects.none()
