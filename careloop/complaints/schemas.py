"""API shapes for complaints (Ninja schemas: validation in, JSON out)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from careloop.core.api import LocalDateTime, Money


class ComplaintIn(Schema):
    customer_id: int | None = Field(None, description="已有客户编号;或用手机号/邮箱匹配")
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    name: str = Field("", max_length=100, description="新客户的姓名")
    channel: str = Field(..., description="phone/online/email/wechat/web/visit/letter")
    severity: str = Field(..., description="A/B/C")
    category: str = Field("", max_length=64)
    product: str = Field("", max_length=128)
    subject: str = Field("", max_length=200)
    description: str = Field(..., max_length=10000)
    external_id: str | None = Field(None, max_length=64)
    opened_at: datetime | None = None


class ComplaintFiltersIn(Schema):
    q: str = Field("", max_length=64)
    status: str = Field("", description="open/resolved/closed 或阶段")
    severity: str = ""
    overdue: bool = False
    team: int | None = None
    category: str = ""
    root_cause: str = ""
    product: str = ""
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$")
    repeat: bool = False
    reopened: bool = False


class OptionOut(Schema):
    id: int
    label: str
    amount: Money | None


class StepOut(Schema):
    id: int
    title: str
    owner: str | None = None
    department: str | None = None
    deadline: LocalDateTime
    done_at: LocalDateTime | None

    @staticmethod
    def resolve_owner(obj) -> str | None:
        return obj.owner.username if obj.owner_id else None

    @staticmethod
    def resolve_department(obj) -> str | None:
        return obj.department.name if obj.department_id else None


class UpdateOut(Schema):
    id: int
    text: str
    channel: str
    sent_at: LocalDateTime


class ComplaintOut(Schema):
    id: int
    number: str | None
    external_id: str | None
    customer_id: int
    customer_name: str = ""
    opened_at: LocalDateTime
    channel: str
    severity: str
    category: str
    product: str
    subject: str
    description: str
    status: str
    stage: str
    assignee: str | None = None
    is_repeat: bool
    repeat_of_id: int | None
    nature: str
    what_happened: str
    expected_outcome: str
    reported_before: bool | None
    root_cause: str
    root_cause_note: str
    solution_type: str
    solution: str
    chosen_option_id: int | None
    business_hours: bool
    first_response_due: LocalDateTime | None
    resolution_due: LocalDateTime | None
    first_responded_at: LocalDateTime | None
    paused_at: LocalDateTime | None
    paused_hours: Decimal
    escalation_level: int
    reopen_count: int
    resolved_at: LocalDateTime | None
    closed_at: LocalDateTime | None

    @staticmethod
    def resolve_customer_name(obj) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_assignee(obj) -> str | None:
        return obj.assignee.username if obj.assignee_id else None


class ComplaintDetailOut(ComplaintOut):
    options: list[OptionOut]
    steps: list[StepOut]
    updates: list[UpdateOut]


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class DiagnoseIn(Schema):
    nature: Literal["fact", "emotion"]
    what_happened: str = Field(..., max_length=5000)
    expected_outcome: str = Field(..., max_length=5000)
    reported_before: bool | None = None
    root_cause: Literal["people", "goods", "place"]
    root_cause_note: str = Field("", max_length=5000)
    category: str = Field("", max_length=64)
    department: str = Field("", max_length=64, description="部门名称")


class OptionIn(Schema):
    label: str = Field(..., max_length=200)
    amount: Decimal | None = None


class SolutionIn(Schema):
    solution_type: Literal["compensation", "process", "cognitive"]
    solution: str = Field(..., max_length=5000)
    options: list[OptionIn] = Field(default_factory=list)


class ChooseIn(Schema):
    option_id: int


class StepIn(Schema):
    title: str = Field(..., max_length=200)
    deadline: datetime
    owner: str = Field("", max_length=150, description="负责人用户名")
    department: str = Field("", max_length=64, description="部门名称")


class ProgressIn(Schema):
    text: str = Field(..., max_length=500)
    channel: Literal["sms", "email", "wechat"] = "sms"


class ConfirmIn(Schema):
    satisfied: bool
    note: str = Field("", max_length=2000)
