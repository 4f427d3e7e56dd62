"""Outgoing webhooks: endpoints that subscribe to events, and every delivery attempt."""

from django.db import models
from django.utils.translation import gettext_lazy as _

EVENTS = {
    "complaint.created": _("投诉受理"),
    "complaint.breached": _("投诉超时"),
    "complaint.closed": _("投诉关闭"),
}


class WebhookEndpoint(models.Model):
    url = models.URLField(_("地址"), max_length=500)
    events = models.JSONField(_("订阅事件"), default=list, blank=True)
    secret = models.CharField(_("签名密钥"), max_length=128)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Webhook 端点")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return self.active and (not self.events or event in self.events or "*" in self.events)


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        RETRYING = "retrying", _("重试中")
        SUCCESS = "success", _("成功")
        FAILED = "failed", _("失败")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("事件"), max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook 投递")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
