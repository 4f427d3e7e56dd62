"""/api/v1/complaints: the whole lifecycle, from intake to the resolution check.

Reads and writes go through selectors scoped to the token's user: a complaint outside the
user's scope answers 404, exactly like one that does not exist."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from careloop.accounts.selectors import users_visible_to
from careloop.complaints import selectors, services
from careloop.complaints.models import Complaint, Department
from careloop.complaints.schemas import (
    ChooseIn,
    ComplaintDetailOut,
    ComplaintFiltersIn,
    ComplaintIn,
    ComplaintOut,
    ConfirmIn,
    DiagnoseIn,
    NoteIn,
    ProgressIn,
    SolutionIn,
    StepIn,
    StepOut,
    UpdateOut,
)
from careloop.core.api import Paged, PageIn, paged
from careloop.core.errors import DomainError

router = Router(tags=["complaints"])


def _department(name: str) -> Department | None:
    if not name:
        return None
    department = Department.objects.filter(name=name).first()
    if department is None:
        raise DomainError(_("部门不存在:%(value)s") % {"value": name}, field="department")
    return department


class _Detail(ComplaintDetailOut):
    @staticmethod
    def resolve_options(obj):
        return list(obj.options.all())

    @staticmethod
    def resolve_steps(obj):
        return list(obj.steps.select_related("owner", "department"))

    @staticmethod
    def resolve_updates(obj):
        return list(obj.updates.all())


def _get(request, complaint_id: int) -> Complaint:
    return selectors.complaint_for(request.user, complaint_id)


@router.post("/complaints", response={201: _Detail}, summary="受理投诉")
def create_complaint(request, payload: ComplaintIn):
    data = payload.model_dump()
    customer_id = data.pop("customer_id")
    customer = None
    if customer_id is not None:
        from careloop.customers.selectors import customer_for

        customer = customer_for(request.user, customer_id)
    complaint = services.complaint_create(actor=request.user, customer=customer, **data)
    return Status(201, complaint)  # even when the matched customer is another team's


@router.get("/complaints", response=Paged[ComplaintOut], summary="投诉列表")
def list_complaints(request, filters: Query[ComplaintFiltersIn], page: Query[PageIn]):
    qs = selectors.complaint_list(
        user=request.user, filters=selectors.ComplaintFilters(**filters.model_dump())
    )
    return paged(qs, page)


@router.get("/complaints/{int:complaint_id}", response=_Detail, summary="投诉详情")
def get_complaint(request, complaint_id: int):
    return _get(request, complaint_id)


@router.post("/complaints/{int:complaint_id}/diagnose", response=_Detail, summary="诊断")
def diagnose(request, complaint_id: int, payload: DiagnoseIn):
    data = payload.model_dump()
    data["department"] = _department(data["department"])
    services.complaint_diagnose(complaint=_get(request, complaint_id), user=request.user, **data)
    return _get(request, complaint_id)


@router.post("/complaints/{int:complaint_id}/solution", response=_Detail, summary="确定方案")
def solution(request, complaint_id: int, payload: SolutionIn):
    data = payload.model_dump()
    services.complaint_solution_set(
        complaint=_get(request, complaint_id), user=request.user, **data
    )
    return _get(request, complaint_id)


@router.post(
    "/complaints/{int:complaint_id}/choose", response=_Detail, summary="记录客户选择的补偿"
)
def choose(request, complaint_id: int, payload: ChooseIn):
    services.complaint_option_choose(
        complaint=_get(request, complaint_id), user=request.user, option_id=payload.option_id
    )
    return _get(request, complaint_id)


@router.post(
    "/complaints/{int:complaint_id}/steps", response={201: StepOut}, summary="添加执行步骤"
)
def add_step(request, complaint_id: int, payload: StepIn):
    owner = None
    if payload.owner:
        owner = users_visible_to(request.user).filter(username=payload.owner).first()
        if owner is None:
            message = _("负责人不存在或不在你的团队:%(value)s") % {"value": payload.owner}
            raise DomainError(message, field="owner")
    step = services.complaint_step_add(
        complaint=_get(request, complaint_id),
        user=request.user,
        title=payload.title,
        deadline=payload.deadline,
        owner=owner,
        department=_department(payload.department),
    )
    return Status(201, step)


@router.post(
    "/complaints/{int:complaint_id}/steps/{int:step_id}/done",
    response=StepOut,
    summary="步骤完成",
)
def step_done(request, complaint_id: int, step_id: int):
    complaint = _get(request, complaint_id)
    step = complaint.steps.filter(pk=step_id).first()
    if step is None:
        raise DomainError(_("步骤不存在"), field="step_id", code="not_found")
    return services.complaint_step_done(step=step, user=request.user)


@router.post(
    "/complaints/{int:complaint_id}/progress",
    response={201: UpdateOut},
    summary="向客户发送进度通知",
)
def progress(request, complaint_id: int, payload: ProgressIn):
    update = services.complaint_progress_send(
        complaint=_get(request, complaint_id), user=request.user, **payload.model_dump()
    )
    return Status(201, update)


@router.post(
    "/complaints/{int:complaint_id}/confirm",
    response=_Detail,
    summary="回访确认:满意则关闭,不满意则重开",
)
def confirm(request, complaint_id: int, payload: ConfirmIn):
    services.complaint_resolution_confirm(
        complaint=_get(request, complaint_id),
        user=request.user,
        satisfied=payload.satisfied,
        note=payload.note,
    )
    return _get(request, complaint_id)


# Actions that take only a note: path, service, summary.
NOTE_ACTIONS = (
    ("respond", services.complaint_respond, "首次响应"),
    ("pause", services.complaint_pause, "等待客户,暂停计时"),
    ("resume", services.complaint_resume, "恢复计时"),
    ("resolve", services.complaint_resolve, "标记已解决(需已发送进度通知)"),
    ("reopen", services.complaint_reopen, "重开投诉"),
)


def _note_action(service):
    def handler(request, complaint_id: int, payload: NoteIn):
        service(complaint=_get(request, complaint_id), user=request.user, note=payload.note)
        return _get(request, complaint_id)

    return handler


for _action, _service, _summary in NOTE_ACTIONS:
    router.post(
        f"/complaints/{{int:complaint_id}}/{_action}",
        response=_Detail,
        summary=_summary,
        operation_id=f"complaint_{_action}",
    )(_note_action(_service))
