"""API shapes for customers, orders and contacts (Ninja schemas: validation in, JSON out)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from careloop.core.api import LocalDateTime, Money
from careloop.customers.selectors import SORTS


def _phone(obj, context) -> str:
    """National format for roles that may see phones, 138****5678 for everyone else."""
    request = (context or {}).get("request")
    if request is not None and request.user.may_see_phones:
        return obj.phone_national
    return obj.phone_masked


class CustomerFiltersIn(Schema):
    q: str = Field("", max_length=64, description="姓名、手机(全号或后 4 位)、公司、标签、拼音")
    region: str = Field("", max_length=32)
    industry: str = Field("", max_length=32)
    owner: str = Field("", max_length=150, description="负责人用户名")
    tag: str = Field("", max_length=32)
    team: str = Field("", max_length=32, description="团队代码")
    segment: int | None = Field(None, description="保存的分群编号(/api/v1/segments/saved)")
    sort: Literal[tuple(SORTS)] = "-created"  # type: ignore[valid-type]


class CustomerOut(Schema):
    id: int
    external_id: str | None
    name: str
    display_name: str
    gender: str
    phone: str
    email: str
    birthday: date | None
    region: str
    city: str
    industry: str
    company: str
    tags: list[str] = Field(default_factory=list)
    owner: str | None = Field(None, description="负责人用户名")
    team: str | None = Field(None, description="团队代码")
    do_not_contact: bool
    registered_at: LocalDateTime | None
    first_order_at: LocalDateTime | None
    last_order_at: LocalDateTime | None
    order_count: int
    lifetime_spend: Money
    created_at: LocalDateTime
    updated_at: LocalDateTime

    @staticmethod
    def resolve_phone(obj, context) -> str:
        return _phone(obj, context)

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return getattr(obj, "tag_names", [])

    @staticmethod
    def resolve_owner(obj) -> str | None:
        return obj.owner.username if obj.owner_id else None

    @staticmethod
    def resolve_team(obj) -> str | None:
        return obj.team.code if obj.team_id else None


class OrderSummaryOut(Schema):
    first_order_at: LocalDateTime | None
    last_order_at: LocalDateTime | None
    order_count: int
    lifetime_spend: Money
    spend_12m: Money
    orders_12m: int


class CustomerDetailOut(CustomerOut):
    salutation: str
    summary: OrderSummaryOut


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class CustomerIn(_In):
    name: str = Field(..., max_length=100)
    external_id: str | None = Field(None, max_length=64)
    gender: Literal["M", "F", ""] = ""
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    birthday: date | None = None
    region: str = Field("", max_length=32)
    city: str = Field("", max_length=32)
    industry: str = Field("", max_length=32)
    company: str = Field("", max_length=128)
    tags: list[str] | str = Field(default_factory=list, description="列表,或以 ; , 、 分隔")
    owner: str | None = Field(None, description="负责人用户名")
    team: str | None = Field(None, description="团队代码")
    do_not_contact: bool = False
    registered_at: LocalDateTime | None = None


class CustomerPatch(_In):
    """Only the fields sent are changed; `tags` replaces the whole tag set."""

    name: str | None = Field(None, min_length=1, max_length=100)
    external_id: str | None = Field(None, max_length=64)
    gender: Literal["M", "F", ""] | None = None
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    birthday: date | None = None
    region: str | None = Field(None, max_length=32)
    city: str | None = Field(None, max_length=32)
    industry: str | None = Field(None, max_length=32)
    company: str | None = Field(None, max_length=128)
    tags: list[str] | str | None = None
    owner: str | None = None
    team: str | None = None
    do_not_contact: bool | None = None
    registered_at: LocalDateTime | None = None

    @field_validator("name", "do_not_contact")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("不能为空")
        return value

    @field_validator("gender", "phone", "email", "region", "city", "industry", "company")
    @classmethod
    def _blank(cls, value):
        return "" if value is None else value


class OrderOut(Schema):
    id: int
    external_id: str
    customer_id: int
    customer_external_id: str | None
    ordered_at: LocalDateTime
    amount: Money
    product: str
    category: str
    channel: str

    @staticmethod
    def resolve_customer_external_id(obj) -> str | None:
        return obj.customer.external_id


class OrderFiltersIn(Schema):
    customer_external_id: str = Field("", max_length=64)
    since: date | None = Field(None, description="下单日期起(含,上海时间)")
    until: date | None = Field(None, description="下单日期止(含,上海时间)")


class OrderIn(_In):
    external_id: str = Field(..., min_length=1, max_length=64)
    customer_external_id: str = Field(..., min_length=1, max_length=64)
    ordered_at: LocalDateTime
    amount: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    product: str = Field("", max_length=128)
    category: str = Field("", max_length=64)
    channel: str = Field("", max_length=32)


class InteractionOut(Schema):
    id: int
    customer_id: int
    occurred_at: LocalDateTime
    kind: str
    channel: str
    text: str
    nps: int | None
    csat: int | None
    author: str | None
    emotion: str  # careloop.emotion: angry … satisfied; "" not classified yet
    high_risk: bool
    emotion_cues: str  # the words that drove it, joined by 、

    @staticmethod
    def resolve_author(obj) -> str | None:
        return obj.author.username if obj.author_id else None


class InteractionIn(_In):
    kind: str = Field(..., description="consult/complaint/suggestion/callback/survey/message/note")
    channel: str = Field("", description="phone/sms/wechat/email/visit/web")
    text: str = ""
    occurred_at: LocalDateTime | None = None
    nps: int | None = Field(None, description="0–10")
    csat: int | None = Field(None, description="1–5")
