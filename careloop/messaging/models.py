"""Outgoing messages (SMS, WeChat, email) and customers' opt-outs of marketing messages."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.customers.models import Customer

AUDIT_ACTIONS = {
    "message.opt_out": _("退订营销消息"),
    "message.opt_in": _("恢复营销消息"),
}


class ScheduledMessageQuerySet(models.QuerySet):
    def visible_to(self, user) -> ScheduledMessageQuerySet:
        """The messages of the customers the user may see (`Customer.visible_to`)."""
        if user.is_admin:
            return self
        return self.filter(customer_id__in=Customer.objects.visible_to(user).values("pk"))


class ScheduledMessage(models.Model):
    """One message to one customer: scheduled for `send_at`, then sent by the dispatch job, or
    stored as suppressed with the reason (so the plan can say why a customer got nothing)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        WECHAT = "wechat", _("微信")
        EMAIL = "email", _("邮件")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("待发送")
        SENT = "sent", _("已发送")
        CANCELLED = "cancelled", _("已取消")
        SUPPRESSED = "suppressed", _("已抑制")

    class Reason(models.TextChoices):
        FREQUENCY_CAP = "frequency_cap", _("频率上限")
        OPT_OUT = "opt_out", _("已退订")
        DO_NOT_CONTACT = "do_not_contact", _("免打扰")
        NO_ADDRESS = "no_address", _("无联系方式")  # found at dispatch: no phone / no email

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,  # (customer, send_at) serves the foreign key too
    )
    purpose = models.CharField(_("目的"), max_length=32)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    body = models.TextField(_("内容"))
    marketing = models.BooleanField(_("营销消息"), default=False)
    # False only for urgent service messages: the dispatch holds the others back while quiet
    # hours last, even when they are overdue (a worker that was down sends them at 09:00).
    respect_quiet_hours = models.BooleanField(_("遵守免打扰时段"), default=True, db_default=True)
    send_at = models.DateTimeField(_("发送时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    suppressed_reason = models.CharField(
        _("抑制原因"), max_length=16, choices=Reason.choices, blank=True
    )
    # What made the message (a callback task, a complaint, …), without a foreign key.
    source_type = models.CharField(_("来源类型"), max_length=32, blank=True)
    source_id = models.BigIntegerField(_("来源编号"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("实际发送时间"), null=True, blank=True)

    objects = ScheduledMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("消息")
        ordering = ["-send_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "send_at"], name="message_customer_send_at"),
            # The dispatch job's "due now" scan touches only what is still to send.
            models.Index(
                fields=["send_at"],
                name="message_due",
                condition=Q(status="scheduled"),
            ),
            models.Index(fields=["source_type", "source_id"], name="message_source"),
            models.Index(fields=["status", "-send_at"], name="message_status_send_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="suppressed", suppressed_reason__gt="")
                | (~Q(status="suppressed") & Q(suppressed_reason="")),
                name="message_suppressed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.channel} {self.send_at:%Y-%m-%d %H:%M}"


class MessageOptOut(models.Model):
    """A customer who replied T / TD / 退订: no marketing messages (on `channel`, or on any
    channel when blank). Service messages (complaint acknowledgements) still go out."""

    class Source(models.TextChoices):
        REPLY = "reply", _("短信回复退订")
        AGENT = "agent", _("坐席登记")
        IMPORT = "import", _("导入")
        API = "api", _("接口")

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="opt_outs"
    )
    channel = models.CharField(
        _("渠道"), max_length=16, choices=ScheduledMessage.Channel.choices, blank=True
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(_("退订时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("退订")
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel"], name="opt_out_once"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel or '*'}"
