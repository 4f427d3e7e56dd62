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


class SavedSegmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SavedSegmentQuerySet":
        """Admin: all; supervisor: their team's and the global (admin) ones; agent: their
        team's (read-only). A user without a team sees only the global ones (supervisor)."""
        if user.is_admin:
            return self
        if user.is_supervisor:
            return self.filter(models.Q(team=None) | models.Q(team_id=user.team_id))
        return self.filter(team_id=user.team_id) if user.team_id else self.none()


class SavedSegment(models.Model):
    """A supervisor's named filter over the segment and profile fields (e.g. "华东 制造业 A 类
    沉睡"). `filters` holds the saved fields of `customers.selectors.CustomerFilters`, checked
    by `saved_segment_create/update`; a team segment means that team's customers only."""

    name = models.CharField(_("分群名称"), max_length=64)
    description = models.CharField(_("说明"), max_length=255, blank=True)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    owner = models.ForeignKey(
        "accounts.User",
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_segments",
    )  # null: a global segment (admin), over every customer
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedSegmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("保存的分群")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="saved_segment_team_name"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(team=None), name="saved_segment_global_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_editable_by(self, user) -> bool:
        """Admin: every segment; supervisor: their own team's; agents never."""
        if user.is_admin:
            return True
        return user.is_supervisor and bool(user.team_id) and self.team_id == user.team_id
