"""/api/v1/screen-pop (an incoming call → the customer, open tasks and complaints, the last
contact, the suggested opening line) and the agent workspace: claim the next task, record a
callback, resolve a follow-up ticket. Scoped like the pages."""

from __future__ import annotations

from datetime import date

from ninja import Field, Router, Schema, Status

from careloop.callbacks import selectors, services
from careloop.callbacks.models import FeedbackItem
from careloop.core.api import LocalDateTime

router = Router(tags=["callbacks"])


class PopCustomerOut(Schema):
    id: int
    external_id: str | None
    name: str
    display_name: str
    salutation: str
    phone: str = Field(..., description="手机号(无权查看时脱敏,如 138****5678)")
    value_class: str
    lifecycle: str
    tier: str
    health: int | None
    owner: str | None


class PopTaskOut(Schema):
    id: int
    purpose: str
    priority: str
    method: str
    status: str
    due_at: LocalDateTime
    reason: str
    assignee: str | None


class PopComplaintOut(Schema):
    id: int
    label: str
    category: str
    severity: str
    opened_at: LocalDateTime


class PopContactOut(Schema):
    kind: str
    channel: str
    occurred_at: LocalDateTime
    text: str


class ScreenPopOut(Schema):
    customer: PopCustomerOut
    open_tasks: list[PopTaskOut]
    open_complaints: list[PopComplaintOut]
    last_contact: PopContactOut | None
    opening: str = Field(..., description="建议开场白")


@router.get(
    "/screen-pop", response=ScreenPopOut, summary="来电弹屏:客户、待办任务、投诉与建议开场白"
)
def screen_pop(request, phone: str):
    user = request.user
    pop = selectors.screen_pop(user, phone)
    c = pop["customer"]
    contact = pop["last_contact"]
    return {
        "customer": {
            "id": c.pk,
            "external_id": c.external_id,
            "name": c.name,
            "display_name": c.display_name,
            "salutation": c.salutation,
            "phone": c.phone if user.may_see_phones else c.phone_masked,
            "value_class": c.value_class or "",
            "lifecycle": c.lifecycle or "",
            "tier": c.tier or "",
            "health": c.health,
            "owner": c.owner.username if c.owner else None,
        },
        "open_tasks": [
            {
                "id": t.pk,
                "purpose": t.purpose,
                "priority": t.priority,
                "method": t.method,
                "status": t.status,
                "due_at": t.due_at,
                "reason": t.reason,
                "assignee": t.assignee.username if t.assignee else None,
            }
            for t in pop["tasks"]
        ],
        "open_complaints": [
            {
                "id": x.pk,
                "label": x.label,
                "category": x.category,
                "severity": x.severity,
                "opened_at": x.opened_at,
            }
            for x in pop["complaints"]
        ],
        "last_contact": (
            {
                "kind": contact.kind,
                "channel": contact.channel,
                "occurred_at": contact.occurred_at,
                "text": contact.text[:200],
            }
            if contact
            else None
        ),
        "opening": pop["opening"],
    }


class ClaimOut(Schema):
    task_id: int | None = Field(None, description="领取到的任务;队列为空时为 null")


@router.post("/callbacks/next", response=ClaimOut, summary="领取下一个回访任务(原子操作)")
def claim_next(request):
    task = services.callback_task_claim_next(agent=request.user)
    return {"task_id": task.pk if task else None}


class ItemSchema(Schema):
    kind: str = Field(..., description="issue / need / suggestion")
    text: str
    urgency: str = FeedbackItem.Urgency.NORMAL
    department_id: int | None = None


class RecordIn(Schema):
    outcome: str = Field(
        ..., description="reached / unreached / refused / wrong_number / call_later"
    )
    method: str = ""
    duration_seconds: int | None = None
    satisfaction: str = ""
    csat: int | None = None
    notes: str = ""
    next_contact_on: date | None = None
    call_back_at: LocalDateTime | None = None
    items: list[ItemSchema] = []


class RecordOut(Schema):
    id: int
    task_id: int
    task_status: str
    outcome: str
    attempt: int
    high_risk: bool
    tickets: list[int]
    leads: list[int]
    suggestions: list[int]


@router.post(
    "/callbacks/tasks/{int:task_id}/record", response={201: RecordOut}, summary="保存回访记录"
)
def record_task(request, task_id: int, payload: RecordIn):
    task = selectors.callback_task_for(request.user, task_id)
    data = payload.model_dump()
    data["items"] = [services.ItemIn(**i) for i in data["items"]]
    record = services.callback_task_complete(task=task, agent=request.user, **data)
    items = list(record.items.select_related("ticket", "lead", "suggestion"))
    kinds = FeedbackItem.Kind
    return Status(
        201,
        {
            "id": record.pk,
            "task_id": record.task_id,
            "task_status": record.task.status,
            "outcome": record.outcome,
            "attempt": record.attempt,
            "high_risk": record.high_risk,
            "tickets": [i.ticket.pk for i in items if i.kind == kinds.ISSUE],
            "leads": [i.lead.pk for i in items if i.kind == kinds.NEED],
            "suggestions": [i.suggestion.pk for i in items if i.kind == kinds.SUGGESTION],
        },
    )


class ResolveIn(Schema):
    resolution: str


class ResolveOut(Schema):
    id: int
    status: str
    resolution_task_id: int | None


@router.post(
    "/callbacks/tickets/{int:ticket_id}/resolve", response=ResolveOut, summary="工单处理完成"
)
def resolve_ticket(request, ticket_id: int, payload: ResolveIn):
    ticket = selectors.ticket_for(request.user, ticket_id)
    ticket = services.followup_ticket_resolve(
        ticket=ticket, user=request.user, resolution=payload.resolution
    )
    return {
        "id": ticket.pk,
        "status": ticket.status,
        "resolution_task_id": ticket.resolution_task_id,
    }
