"""Segmentation history: a dated snapshot per customer and the runs that wrote them.

The current values live on `customers.Customer` (lifecycle, tier, value_class, RFM, churn risk,
health) so the customer list filters on them without a join; these tables keep the past."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from careloop.customers.models import Customer


class SegmentSnapshot(models.Model):
    """Stage, tier and class of one customer as of one date (transitions between two dates)."""

    # No database FK constraint: a night's INSERT … SELECT of a million rows would fire a
    # million FK checks; the rows come from the customers table itself, and deleting a
    # customer still deletes their snapshots (Django's CASCADE).
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="segment_snapshots",
        db_index=False,
        db_constraint=False,
    )
    as_of = models.DateField(_("分群日期"))
    lifecycle = models.CharField(_("生命周期"), max_length=16, choices=Customer.Lifecycle.choices)
    tier = models.CharField(_("价值等级"), max_length=1, blank=True)
    value_class = models.CharField(_("价值类别"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("分群快照")
        constraints = [
            # (as_of, customer): one date's rows are deleted and compared together.
            models.UniqueConstraint(fields=["as_of", "customer"], name="snapshot_as_of_customer"),
        ]
        indexes = [models.Index(fields=["customer", "as_of"], name="snapshot_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.as_of} {self.lifecycle}"


class SegmentRun(models.Model):
    """One segmentation (nightly or started by a supervisor), with progress for the page."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    as_of = models.DateField(_("分群日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)  # percent
    step = models.CharField(_("步骤"), max_length=64, blank=True)
    counts = models.JSONField(_("统计"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    started_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("分群运行")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.status}"
