"""/api/v1/tasks, /api/v1/plan/run and /api/v1/care/rules: callback tasks (scoped like the
pages: admin all, supervisor the team's, agent own + the team pool), running the plan
(supervisors and admins) and the care rules."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from careloop.accounts.models import User
from careloop.care import selectors, services
from careloop.care.models import CallbackTask, Method, Priority
from careloop.core.api import LocalDateTime, Paged, PageIn, paged
from careloop.core.errors import DomainError

router = Router(tags=["care"])

STATUSES = (*CallbackTask.Status.values, "open_any")


class TaskCustomerOut(Schema):
    id: int
    external_id: str | None
    name: str
    display_name: str
    phone: str = Field(..., description="手机号(无权查看时脱敏,如 138****5678)")
    tier: str
    lifecycle: str

    @staticmethod
    def resolve_phone(obj, context) -> str:
        request = (context or {}).get("request")
        if request is not None and request.user.may_see_phones:
            return obj.phone_national
        return obj.phone_masked


class TaskOut(Schema):
    id: int
    customer: TaskCustomerOut
    purpose: str
    purpose_label: str
    priority: str
    method: str
    due_at: LocalDateTime
    status: str
    assignee: str | None = Field(None, description="负责坐席用户名;空为团队任务池")
    team: str | None = Field(None, description="团队代码")
    attempts: int
    reason: str
    plan_date: date
    rule_id: int | None
    rule_version: int | None
    source_type: str
    source_id: int | None
    created_at: LocalDateTime
    closed_at: LocalDateTime | None
    overdue_at: LocalDateTime | None
    escalated_at: LocalDateTime | None

    @staticmethod
    def resolve_purpose_label(obj) -> str:
        return str(obj.get_purpose_display())

    @staticmethod
    def resolve_assignee(obj) -> str | None:
        return obj.assignee.username if obj.assignee_id else None

    @staticmethod
    def resolve_team(obj) -> str | None:
        return obj.team.code if obj.team_id else None


class TaskFiltersIn(Schema):
    status: Literal[STATUSES] | None = Field(  # type: ignore[valid-type]
        None, description="状态;open_any = 待处理或处理中"
    )
    purpose: str = Field("", max_length=32)
    priority: Literal[tuple(Priority.values)] | None = None  # type: ignore[valid-type]
    assignee: str = Field("", max_length=150, description="坐席用户名;- 为任务池")
    plan_date: date | None = None
    due_before: date | None = Field(None, description="在这天结束前到期")
    overdue: bool | None = None


@router.get("/tasks", response=Paged[TaskOut], summary="回访任务列表")
def list_tasks(request, filters: Query[TaskFiltersIn], page: Query[PageIn]):
    status = filters.status or ""
    qs = selectors.callback_task_list(
        user=request.user,
        filters=selectors.TaskFilters(
            status="open" if status == "open_any" else status,
            purpose=filters.purpose,
            priority=filters.priority or "",
            assignee=filters.assignee,
            plan_date=filters.plan_date,
            due_before=filters.due_before,
            overdue=filters.overdue,
        ),
    )
    return paged(qs, page)


@router.get("/tasks/{int:task_id}", response=TaskOut, summary="回访任务详情")
def get_task(request, task_id: int):
    return selectors.callback_task_for(request.user, task_id)


class ReassignIn(Schema):
    model_config = ConfigDict(extra="forbid")
    task_ids: list[int] = Field(..., min_length=1, max_length=1000)
    assignee: str | None = Field(None, description="坐席用户名;空为退回团队任务池")


class CountOut(Schema):
    count: int


@router.post("/tasks/reassign", response=CountOut, summary="批量分配回访任务(主管)")
def reassign_tasks(request, payload: ReassignIn):
    assignee = None
    if payload.assignee:
        assignee = User.objects.filter(username=payload.assignee).first()
        if assignee is None:
            message = _("坐席不存在:%(value)s") % {"value": payload.assignee}
            raise DomainError(message, field="assignee")
    count = services.callback_tasks_reassign(
        tasks=payload.task_ids, assignee=assignee, user=request.user
    )
    return {"count": count}


class PlanRunIn(Schema):
    model_config = ConfigDict(extra="forbid")
    as_of: date | None = Field(None, description="计划日期,默认今天")
    dry_run: bool = Field(False, description="试运行:返回结果,不写入")


class PlanTaskOut(Schema):
    customer_external_id: str | None
    purpose: str
    priority: Literal[tuple(Priority.values)]  # type: ignore[valid-type]
    method: Literal[tuple(Method.values)]  # type: ignore[valid-type]
    due_at: str
    assignee: str | None
    reason: str


class PlanSuppressedOut(Schema):
    customer_external_id: str | None
    purpose: str
    reason_code: str
    reason: str


class PlanMessageOut(Schema):
    customer_external_id: str | None
    purpose: str
    channel: str
    send_at: str | None
    status: str
    reason_code: str | None


class PlanOut(Schema):
    as_of: date
    created: list[PlanTaskOut]
    suppressed: list[PlanSuppressedOut]
    messages: list[PlanMessageOut]


@router.post("/plan/run", response=PlanOut, summary="运行关怀计划(主管)")
def run_plan(request, payload: PlanRunIn) -> dict[str, Any]:
    """DESIGN.md §5's plan JSON; with dry_run nothing is written."""
    result = services.care_plan_run(as_of=payload.as_of, dry_run=payload.dry_run, user=request.user)
    return result.to_json()


class CareRuleOut(Schema):
    id: int
    purpose: str
    purpose_label: str
    name: str
    enabled: bool
    priority: str
    due_days: int | None
    due_hours: int | None
    methods: dict[str, Any]
    params: dict[str, Any]
    audience_id: int | None
    script_template: str
    assignment: str
    holdout_share: str
    version: int
    updated_by: str | None
    updated_at: LocalDateTime

    @staticmethod
    def resolve_purpose_label(obj) -> str:
        return str(obj.get_purpose_display())

    @staticmethod
    def resolve_holdout_share(obj) -> str:
        return str(obj.holdout_share)

    @staticmethod
    def resolve_updated_by(obj) -> str | None:
        return obj.updated_by.username if obj.updated_by_id else None


@router.get("/care/rules", response=list[CareRuleOut], summary="关怀规则")
def list_rules(request):
    return list(selectors.care_rules())
