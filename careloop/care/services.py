"""Writes of the care app: rules (versioned, audited), the plan run, task reassignment and the
overdue watch; `plan_explain_customer` says why a customer got or did not get a task today."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from careloop.accounts.models import AuditLog, User
from careloop.accounts.services import audit_record
from careloop.care import purposes as registry
from careloop.care.defaults import ensure_default_rules, rule_snapshot
from careloop.care.models import (
    TIER_KEYS,
    Assignment,
    CallbackTask,
    CareRule,
    CareRuleVersion,
    Method,
    PlanSuppression,
    Priority,
)
from careloop.care.planner import PlanResult, plan_day
from careloop.core import clock
from careloop.core.errors import DomainError, NotFound, PermissionDenied
from careloop.customers.models import Customer

log = logging.getLogger(__name__)

RULE_FIELDS = (
    "name",
    "enabled",
    "priority",
    "due_days",
    "due_hours",
    "methods",
    "params",
    "audience",
    "script_template",
    "assignment",
    "holdout_share",
)
HOLDOUT_MAX = Decimal("0.5")


def _may_plan(user: User | None) -> None:
    if user is not None and not (user.is_admin or user.is_supervisor):
        raise PermissionDenied(_("只有主管或管理员可以执行此操作"))


# --- rules -----------------------------------------------------------------------------------


@transaction.atomic
def care_rules_ensure_defaults(*, user: User | None = None) -> list[CareRule]:
    """Create the default rule (DESIGN.md §3) of every purpose that has none."""
    return ensure_default_rules(CareRule, CareRuleVersion, user=user)


def _int_or_none(value: Any, *, field: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("%(field)s 须为整数") % {"field": field}, field=field) from exc
    if not low <= number <= high:
        message = _("%(field)s 须在 %(low)s 到 %(high)s 之间") % {
            "field": field,
            "low": low,
            "high": high,
        }
        raise DomainError(message, field=field)
    return number


def _methods(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DomainError(_("回访方式须按价值等级填写(A/B/C/none)"), field="methods")
    clean: dict[str, Any] = {}
    for tier, chosen in value.items():
        if tier not in TIER_KEYS:
            raise DomainError(_("未知的价值等级:%(value)s") % {"value": tier}, field="methods")
        items = [chosen] if isinstance(chosen, str) else chosen
        if not isinstance(items, list) or not items:
            raise DomainError(_("请为 %(tier)s 类选择回访方式") % {"tier": tier}, field="methods")
        for item in items:
            if item not in Method.values:
                message = _("未知的回访方式:%(value)s") % {"value": item}
                raise DomainError(message, field="methods")
        clean[tier] = items[0] if len(items) == 1 else list(dict.fromkeys(items))
    return clean


def _holdout(value: Any, purpose: str) -> Decimal:
    try:
        share = Decimal(str(value)).quantize(Decimal("0.001"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("对照组比例须为 0 到 0.5 之间的小数"), field="holdout_share") from exc
    if not Decimal(0) <= share <= HOLDOUT_MAX:
        raise DomainError(_("对照组比例须为 0 到 0.5 之间的小数"), field="holdout_share")
    if share and not registry.get(purpose).holdout:
        raise DomainError(
            _("%(purpose)s 不设对照组(投诉与风险类关怀必须全部执行)")
            % {"purpose": registry.get(purpose).label},
            field="holdout_share",
        )
    return share


def _clean_rule_fields(rule: CareRule, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise DomainError(_("不能修改的字段:%(field)s") % {"field": field}, field=field)
    clean: dict[str, Any] = {}
    for field, value in fields.items():
        if field == "name":
            value = (value or "").strip()
            if not value or len(value) > 64:
                raise DomainError(_("规则名称须为 1–64 个字"), field="name")
        elif field == "enabled":
            value = bool(value)
        elif field == "priority":
            if value not in Priority.values:
                raise DomainError(_("未知的优先级:%(value)s") % {"value": value}, field=field)
        elif field == "due_days":
            value = _int_or_none(value, field=field, low=1, high=365)
        elif field == "due_hours":
            value = _int_or_none(value, field=field, low=1, high=720)
        elif field == "methods":
            value = _methods(value)
        elif field == "params":
            if not isinstance(value, dict):
                raise DomainError(_("触发参数须为键值对"), field="params")
        elif field == "assignment":
            if value not in Assignment.values:
                raise DomainError(_("未知的分配方式:%(value)s") % {"value": value}, field=field)
        elif field == "holdout_share":
            value = _holdout(value, rule.purpose)
        elif field == "script_template":
            value = (value or "").strip()
            if len(value) > 2000:
                raise DomainError(_("话术模板最多 2000 字"), field=field)
        clean[field] = value
    return clean


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


@transaction.atomic
def care_rule_update(*, rule: CareRule, user: User, **fields: Any) -> CareRule:
    """Change a rule: validate every field (nothing is saved if one is wrong), bump the
    version, keep a CareRuleVersion snapshot and audit what changed."""
    _may_plan(user)
    rule = CareRule.objects.select_for_update().get(pk=rule.pk)
    clean = _clean_rule_fields(rule, fields)
    if clean.get("audience") is not None and not user.is_admin:
        segment = clean["audience"]
        if segment.team_id not in (None, user.team_id):
            raise DomainError(_("只能选择本团队或全局的分群"), field="audience")
    changes = {}
    for field, value in clean.items():
        old = getattr(rule, field)
        if _plain(old) != _plain(value):
            changes[field] = [_plain(old), _plain(value)]
            setattr(rule, field, value)
    if not changes:
        return rule
    rule.version += 1
    rule.updated_by = user
    rule.full_clean()
    rule.save()
    CareRuleVersion.objects.create(
        rule=rule, version=rule.version, snapshot=rule_snapshot(rule), changed_by=user
    )
    audit_record(
        actor=user,
        action="care_rule.update",
        target=rule,
        detail={"version": rule.version, "changes": changes},
    )
    return rule


def care_rule_draft(*, rule: CareRule, **fields: Any) -> CareRule:
    """An unsaved copy of `rule` with `fields` applied and validated (for the preview)."""
    clean = _clean_rule_fields(rule, fields)
    draft = CareRule(
        **{f.attname: getattr(rule, f.attname) for f in CareRule._meta.concrete_fields}
    )
    for field, value in clean.items():
        setattr(draft, field, value)
    return draft


def care_rule_preview(
    *,
    rule_or_draft: CareRule,
    as_of: date | None = None,
    user: User | None = None,
    sample: int = 10,
) -> tuple[int, list[Customer]]:
    """What the rule would create on D (default today) on its own, as if D were not planned
    yet: (count, a sample of the customers, scoped to `user` when given). A dry run of the
    planner: nothing is written."""
    as_of = as_of or clock.today()
    result = plan_day(as_of=as_of, dry_run=True, rules=[rule_or_draft], fresh_day=True)
    ids = [t.customer_id for t in result.created]
    customers = Customer.objects.filter(pk__in=ids[: sample * 5])
    if user is not None:
        customers = customers.visible_to(user)
    order = {pk: i for i, pk in enumerate(ids)}
    chosen = sorted(customers, key=lambda c: order[c.pk])[:sample]
    return len(ids), chosen


# --- the plan --------------------------------------------------------------------------------


def care_plan_run(
    *, as_of: date | None = None, dry_run: bool = False, user: User | None = None
) -> PlanResult:
    """A supervisor's "run the plan now" (pages, API): all enabled rules for D."""
    _may_plan(user)
    return plan_day(as_of=as_of or clock.today(), dry_run=dry_run, trigger="manual", user=user)


@dataclass
class Explanation:
    purpose: str
    label: str
    outcome: str  # created / pending (the next run will create it) / suppressed / not_candidate
    reason_code: str
    reason: str
    task_id: int | None = None


def plan_explain_customer(*, customer: Customer, as_of: date | None = None) -> list[Explanation]:
    """Why the customer got or did not get a task of each enabled purpose on D: what the plan
    recorded that day, and for the purposes it has not decided yet, a dry run for this one
    customer (two queries plus the dry run)."""
    as_of = as_of or clock.today()
    tasks = {t.purpose: t for t in CallbackTask.objects.filter(customer=customer, plan_date=as_of)}
    recorded = {
        s.purpose: s for s in PlanSuppression.objects.filter(customer=customer, plan_date=as_of)
    }
    dry = plan_day(as_of=as_of, dry_run=True, customer_ids=[customer.pk])
    would = {t.purpose: t for t in dry.created}
    held = {s.purpose: s for s in dry.suppressed}
    rules = CareRule.objects.filter(enabled=True)
    keys = list(
        dict.fromkeys(p.key for p in registry.all_purposes() for r in rules if r.purpose == p.key)
    )
    found: list[Explanation] = []
    for key in keys:
        label = str(registry.get(key).label)
        if key in tasks:
            task = tasks[key]
            found.append(Explanation(key, label, "created", "", task.reason, task.pk))
        elif key in recorded:
            entry = recorded[key]
            found.append(Explanation(key, label, "suppressed", entry.reason_code, entry.reason))
        elif key in would:
            why = _("计划尚未运行,运行后将创建任务:%(reason)s") % {"reason": would[key].reason}
            found.append(Explanation(key, label, "pending", "", why))
        elif key in held:
            entry = held[key]
            found.append(Explanation(key, label, "suppressed", entry.reason_code, entry.reason))
        else:
            why = _("不符合触发条件:%(trigger)s") % {"trigger": registry.get(key).trigger_text}
            found.append(Explanation(key, label, "not_candidate", "", why))
    return found


# --- tasks -----------------------------------------------------------------------------------


def _task_audits(tasks: list[CallbackTask], *, actor: User | None, action: str, detail: dict):
    AuditLog.objects.bulk_create(
        [
            AuditLog(
                actor=actor if actor is not None and actor.pk else None,
                action=action,
                target_type="callbacktask",
                target_id=str(t.pk),
                customer_id=t.customer_id,
                detail=detail | {"purpose": t.purpose},
            )
            for t in tasks
        ],
        batch_size=1000,
    )


@transaction.atomic
def callback_tasks_reassign(
    *, tasks: QuerySet[CallbackTask] | list, assignee: User | None, user: User
) -> int:
    """Give open tasks to `assignee` (None: back to the team pool). A supervisor moves the
    tasks of their team to an agent of their team; an admin any task to anyone active.
    All or nothing; one audit entry per task. Returns how many moved."""
    _may_plan(user)
    ids = [t if isinstance(t, int) else t.pk for t in tasks]
    if not ids:
        raise DomainError(_("请选择要分配的任务"), field="tasks")
    rows = list(
        CallbackTask.objects.visible_to(user).filter(pk__in=ids).select_for_update().order_by("pk")
    )
    if len(rows) != len(set(ids)):
        raise NotFound(_("部分任务不存在或无权操作"), field="tasks")
    closed = [t for t in rows if not t.is_open]
    if closed:
        message = _("任务 #%(id)s 已关闭,不能再分配") % {"id": closed[0].pk}
        raise DomainError(message, field="tasks")
    if assignee is not None:
        if not assignee.is_active:
            raise DomainError(_("该用户已停用,不能接收任务"), field="assignee")
        if not user.is_admin and assignee.team_id != user.team_id:
            raise DomainError(_("只能分配给本团队的坐席"), field="assignee")
    moved = [t for t in rows if t.assignee_id != (assignee.pk if assignee else None)]
    if not moved:
        return 0
    CallbackTask.objects.filter(pk__in=[t.pk for t in moved]).update(assignee=assignee)
    _task_audits(
        moved,
        actor=user,
        action="callback_task.reassign",
        detail={"to": assignee.username if assignee else None},
    )
    return len(moved)


@dataclass
class OverdueResult:
    flagged: int
    escalated: int


@transaction.atomic
def callback_tasks_flag_overdue(*, now: datetime | None = None) -> OverdueResult:
    """Flag open tasks past their due time (once) and escalate each to its team's supervisor
    (the first active one; once, audited). Set-based: one UPDATE for the flags, one per team."""
    now = now or clock.now()
    late = CallbackTask.objects.open().filter(due_at__lt=now)
    flagged = late.filter(overdue_at__isnull=True).update(overdue_at=now)
    supervisors: dict[int, User] = {}
    for sup in User.objects.filter(
        role=User.Role.SUPERVISOR, is_active=True, team__isnull=False
    ).order_by("pk"):
        supervisors.setdefault(sup.team_id, sup)
    escalated = 0
    for team_id, sup in supervisors.items():
        pending = list(late.filter(team_id=team_id, escalated_at__isnull=True).select_for_update())
        if not pending:
            continue
        CallbackTask.objects.filter(pk__in=[t.pk for t in pending]).update(
            escalated_at=now, escalated_to=sup
        )
        _task_audits(
            pending, actor=None, action="callback_task.escalate", detail={"to": sup.username}
        )
        escalated += len(pending)
    if flagged or escalated:
        log.info("tasks.overdue", extra={"flagged": flagged, "escalated": escalated})
    return OverdueResult(flagged=flagged, escalated=escalated)


# --- scripts ---------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def care_script_render(*, task: CallbackTask, agent: User | None = None) -> str:
    """The task's rule script with the customer's details filled in: {{称呼}} (张先生),
    {{姓名}}, {{公司}}, {{坐席}}, {{原因}}; an unknown placeholder stays as written."""
    template = task.rule.script_template if task.rule_id else ""
    customer = task.customer
    agent = agent or task.assignee
    values = {
        "称呼": customer.salutation,
        "姓名": customer.name,
        "公司": customer.company,
        "坐席": (agent.display_name or agent.username) if agent else "",
        "原因": task.reason,
    }
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
