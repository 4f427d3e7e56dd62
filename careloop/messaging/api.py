"""/api/v1/messages: the message log in the user's scope, and customers' replies from an SMS
gateway (回复 T 退订)."""

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema

from careloop.core.api import LocalDateTime, Paged, PageIn, paged
from careloop.messaging import selectors, services

router = Router(tags=["messaging"])


class MessageOut(Schema):
    id: int
    customer_id: int
    customer_external_id: str | None
    purpose: str
    channel: str
    body: str
    marketing: bool
    send_at: LocalDateTime
    status: str
    suppressed_reason: str
    source_type: str
    source_id: int | None
    created_at: LocalDateTime
    sent_at: LocalDateTime | None

    @staticmethod
    def resolve_customer_external_id(obj) -> str | None:
        return obj.customer.external_id


class MessageFiltersIn(Schema):
    status: str = Field("", description="scheduled/sent/cancelled/suppressed")
    purpose: str = Field("", description="wakeup, birthday, complaint_ack, …")
    channel: str = Field("", description="sms/wechat/email")
    customer_id: int | None = None


class InboundIn(Schema):
    phone: str = Field(..., description="the customer's number, any common spelling")
    body: str = Field(..., description="the reply; T / TD / 退订 opts out of marketing")


class InboundOut(Schema):
    matched: int
    opted_out: bool


@router.get("/messages", response=Paged[MessageOut], summary="消息列表")
def list_messages(request, filters: Query[MessageFiltersIn], page: Query[PageIn]):
    """Scheduled, sent, cancelled and suppressed messages of the customers you may see."""
    qs = selectors.message_list(
        user=request.user, filters=selectors.MessageFilters(**filters.model_dump())
    )
    return paged(qs, page)


@router.post("/messages/inbound", response=InboundOut, summary="短信回复(网关回调)")
def inbound_message(request, payload: InboundIn):
    """A customer's reply forwarded by the SMS gateway: recorded on the timeline of every
    customer with that number; T / TD / 退订 opts them out of marketing messages. Admin tokens
    only (the gateway's account), since it touches customers of every team."""
    if not request.user.is_admin:
        raise PermissionDenied
    result = services.message_inbound_record(phone=payload.phone, body=payload.body)
    return {"matched": len(result.customers), "opted_out": result.opted_out}
