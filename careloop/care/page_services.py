"""Writes the care pages need beyond the engine's services: an agent's assignment settings
(`AgentProfile`) and starting the plan in the worker."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from careloop.accounts.models import User
from careloop.accounts.services import audit_record
from careloop.care.models import AgentProfile
from careloop.core.errors import DomainError, PermissionDenied

CAPACITY_MAX = 500


def _tags(value: Any, *, field: str) -> list[str]:
    """ "华东、华南; 华北" or a list → ["华东", "华南", "华北"] (each at most 32 characters)."""
    if isinstance(value, str):
        for sep in ("、", ";", ";", ",", ","):
            value = value.replace(sep, " ")
        value = value.split()
    items = list(dict.fromkeys(str(v).strip() for v in value or [] if str(v).strip()))
    if any(len(v) > 32 for v in items):
        raise DomainError(_("每项最多 32 个字"), field=field)
    if len(items) > 20:
        raise DomainError(_("最多 20 项"), field=field)
    return items


@transaction.atomic
def agent_profile_update(
    *,
    agent: User,
    user: User,
    capacity: int,
    regions: list[str] | str = (),
    skills: list[str] | str = (),
    accepts_tasks: bool = True,
) -> AgentProfile:
    """A supervisor sets how many open tasks an agent of their team may hold, the regions and
    skills the assignment matches, and whether the agent takes new tasks. Audited."""
    if not (user.is_admin or user.is_supervisor):
        raise PermissionDenied(_("只有主管或管理员可以执行此操作"))
    if agent.role != User.Role.AGENT:
        raise DomainError(_("只能设置坐席"), field="agent")
    if not user.is_admin and (not user.team_id or agent.team_id != user.team_id):
        raise PermissionDenied(_("只能设置本团队的坐席"), field="agent")
    try:
        capacity = int(capacity)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("最多未完成任务数须为整数"), field="capacity") from exc
    if not 1 <= capacity <= CAPACITY_MAX:
        message = _("最多未完成任务数须在 1 到 %(n)s 之间") % {"n": CAPACITY_MAX}
        raise DomainError(message, field="capacity")
    new = {
        "capacity": capacity,
        "regions": _tags(regions, field="regions"),
        "skills": _tags(skills, field="skills"),
        "accepts_tasks": bool(accepts_tasks),
    }
    profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=agent)
    changes = {
        key: [getattr(profile, key), value]
        for key, value in new.items()
        if getattr(profile, key) != value
    }
    if not changes:
        return profile
    for key, value in new.items():
        setattr(profile, key, value)
    profile.full_clean()
    profile.save()
    audit_record(
        actor=user,
        action="agent_profile.update",
        target=profile,
        detail={"agent": agent.username, "changes": changes},
    )
    return profile


def plan_run_start(*, user: User, as_of: date) -> None:
    """Run the plan for D in the worker (the engine's `plan_run_job`); the plan page shows the
    resulting `PlanRun` when it lands."""
    if not (user.is_admin or user.is_supervisor):
        raise PermissionDenied(_("只有主管或管理员可以执行此操作"))
    from careloop.care.tasks import plan_run_job

    plan_run_job(as_of.isoformat(), user.pk)
