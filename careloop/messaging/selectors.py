"""Reads on messages, scoped to the acting user through their customers (`visible_to`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as gettext
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import User
from careloop.core.errors import NotFound
from careloop.customers.models import Customer
from careloop.messaging.models import MessageOptOut, ScheduledMessage

# Labels of the purposes messages are sent for: the care purposes and the service messages.
PURPOSE_LABELS = {
    "complaint_ack": _("投诉受理确认"),
    "complaint_apology": _("投诉致歉"),
    "complaint_progress": _("投诉进度通知"),
    "appointment_notice": _("预约通知"),
    "unreached": _("未接通留言"),
    "complaint_followup": _("投诉跟进"),
    "resolution_check": _("处理回访"),
    "churn_rescue": _("流失挽回"),
    "emotion_care": _("情绪关怀"),
    "detractor_followup": _("差评回访"),
    "activation": _("新客激活"),
    "wakeup": _("沉睡唤醒"),
    "retention": _("老客维护"),
    "birthday": _("生日关怀"),
    "holiday": _("节日关怀"),
    "announcement": _("升级通知"),
}


@dataclass(frozen=True)
class MessageFilters:
    status: str = ""
    purpose: str = ""
    channel: str = ""
    customer_id: int | None = None


def message_list(*, user: User, filters: MessageFilters) -> QuerySet[ScheduledMessage]:
    """Messages of the customers the user may see, latest send time first."""
    qs = ScheduledMessage.objects.visible_to(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.purpose:
        qs = qs.filter(purpose=filters.purpose)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    return qs.select_related("customer").order_by("-send_at", "-id")


def message_status_counts(*, user: User, filters: MessageFilters) -> dict[str, int]:
    """{status: n} within the user's scope and the other filters (one grouped query)."""
    unfiltered = MessageFilters(
        purpose=filters.purpose, channel=filters.channel, customer_id=filters.customer_id
    )
    rows = (
        message_list(user=user, filters=unfiltered)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(ScheduledMessage.Status.values, 0)
    counts.update(dict(rows))
    return counts


def purpose_label(code: str) -> str:
    return str(PURPOSE_LABELS.get(code, code))


def opt_out_list(*, user: User) -> QuerySet[MessageOptOut]:
    """Opt-outs of the customers the user may see, newest first."""
    qs = MessageOptOut.objects.all()
    if not user.is_admin:
        qs = qs.filter(customer_id__in=Customer.objects.visible_to(user).values("pk"))
    return qs.select_related("customer").order_by("-created_at", "-id")


def opt_out_for(user: User, opt_out_id: int) -> MessageOptOut:
    opt_out = opt_out_list(user=user).filter(pk=opt_out_id).first()
    if opt_out is None:
        raise NotFound(gettext("退订记录不存在或无权查看"))
    return opt_out
