"""Complaints as imported or received; the full 受理 → 复盘 workflow builds on this model."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Complaint(models.Model):
    class Severity(models.TextChoices):
        A = "A", _("A 停产/无法使用")
        B = "B", _("B 质量缺陷")
        C = "C", _("C 咨询疑问")

    class Status(models.TextChoices):
        OPEN = "open", _("处理中")
        RESOLVED = "resolved", _("已解决")
        CLOSED = "closed", _("已关闭")

    external_id = models.CharField(_("投诉编号"), max_length=64, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="complaints", db_index=False
    )
    opened_at = models.DateTimeField(_("投诉时间"))
    channel = models.CharField(_("渠道"), max_length=32, blank=True)
    severity = models.CharField(
        _("等级"), max_length=1, choices=Severity.choices, default=Severity.C
    )
    category = models.CharField(_("类别"), max_length=64, blank=True)
    description = models.TextField(_("描述"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投诉")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["customer", "-opened_at"], name="complaint_customer")]

    def __str__(self) -> str:
        return self.external_id or f"#{self.pk}"
