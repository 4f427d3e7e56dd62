"""Care rules (as data), the callback tasks the daily plan makes, and what each plan run did.

- `CareRule`: one per purpose by default (data migration), edited by supervisors; every save
  bumps `version` and writes a `CareRuleVersion` snapshot.
- `CallbackTask` (回访任务): the database itself refuses duplicates, so two plan runs at the
  same moment cannot create the same task twice (see the three unique constraints).
- `PlanRun` / `PlanSuppression`: a run's counts, and each candidate that got no task with the
  reason (precedence, holdout, do_not_contact, duplicate, frequency_cap), once per day.
- `AgentProfile`: capacity (open tasks), regions and skills the assignment honours.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.care.purposes import purpose_choices


class Priority(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


PRIORITY_RANK = {Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}
# Days to the due date when a rule does not say otherwise (seed 003).
PRIORITY_DUE_DAYS = {Priority.HIGH: 7, Priority.MEDIUM: 15, Priority.LOW: 30}


class Method(models.TextChoices):
    PHONE = "phone", _("电话")
    VISIT = "visit", _("上门")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信")
    EMAIL = "email", _("邮件")
    SURVEY = "survey", _("问卷")


MESSAGE_METHODS = frozenset({Method.SMS, Method.WECHAT, Method.EMAIL})
# Keys of CareRule.methods: a value tier, or "none" for customers without one.
TIER_KEYS = ("A", "B", "C", "none")


class Assignment(models.TextChoices):
    OWNER_FIRST = "owner_first", _("负责人优先")
    TEAM_ROUND_ROBIN = "team_round_robin", _("团队轮流分配")
    POOL = "pool", _("进入团队任务池")


class CareRule(models.Model):
    """When a purpose makes a task, with which priority, due date, method and script."""

    purpose = models.CharField(_("关怀目的"), max_length=32, choices=purpose_choices)
    name = models.CharField(_("规则名称"), max_length=64)
    enabled = models.BooleanField(_("启用"), default=True)
    priority = models.CharField(
        _("优先级"), max_length=8, choices=Priority.choices, default=Priority.MEDIUM
    )
    # Null: the priority's default (7/15/30 days); event purposes count hours from the event.
    due_days = models.PositiveSmallIntegerField(_("到期天数"), null=True, blank=True)
    due_hours = models.PositiveSmallIntegerField(_("到期小时数"), null=True, blank=True)
    # {"A": "visit", "B": "phone", "C": ["sms"], "none": "sms"}: a method or a list of methods.
    methods = models.JSONField(_("回访方式"), default=dict, blank=True)
    # The trigger's parameters, e.g. {"days_ahead": 7} or {"window_days": 60}.
    params = models.JSONField(_("触发参数"), default=dict, blank=True)
    # Only these customers (a saved segment's); none: everyone the trigger finds.
    audience = models.ForeignKey(
        "segments.SavedSegment",
        verbose_name=_("目标分群"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_rules",
    )
    script_template = models.TextField(_("话术模板"), blank=True)
    assignment = models.CharField(
        _("分配方式"), max_length=24, choices=Assignment.choices, default=Assignment.OWNER_FIRST
    )
    holdout_share = models.DecimalField(
        _("对照组比例"), max_digits=4, decimal_places=3, default=Decimal("0")
    )
    # Mixed into the hold-out hash: the same customer stays held out for this rule every day.
    holdout_salt = models.PositiveIntegerField(_("对照组种子"), default=0)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("关怀规则")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(holdout_share__gte=0, holdout_share__lte=Decimal("0.5")),
                name="care_rule_holdout_share_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CareRuleVersion(models.Model):
    """The rule as it was saved: tasks keep `rule_version`, so their origin stays readable."""

    rule = models.ForeignKey(CareRule, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    snapshot = models.JSONField(_("规则内容"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("关怀规则版本")
        ordering = ["rule", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="care_rule_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.version}"


class CallbackTaskQuerySet(models.QuerySet):
    def visible_to(self, user) -> CallbackTaskQuerySet:
        """Admin: all; supervisor: their team's; agent: their own and their team's pool."""
        if user.is_admin:
            return self
        if user.is_supervisor:
            return self.filter(team_id=user.team_id) if user.team_id else self.none()
        if not user.team_id:
            return self.filter(assignee_id=user.pk)
        return self.filter(Q(assignee_id=user.pk) | Q(team_id=user.team_id, assignee__isnull=True))

    def open(self) -> CallbackTaskQuerySet:
        return self.filter(status__in=CallbackTask.OPEN_STATUSES)


class CallbackTask(models.Model):
    """回访任务: one customer, one purpose, a due time, a method and who does it."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        IN_PROGRESS = "in_progress", _("处理中")
        DONE = "done", _("已完成")
        UNREACHED = "unreached", _("未接通")
        CANCELLED = "cancelled", _("已取消")
        EXPIRED = "expired", _("已过期")

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="callback_tasks",
        db_index=False,  # (customer, purpose, plan_date) serves the foreign key
    )
    purpose = models.CharField(_("关怀目的"), max_length=32, choices=purpose_choices)
    priority = models.CharField(_("优先级"), max_length=8, choices=Priority.choices)
    priority_rank = models.PositiveSmallIntegerField(_("优先级序号"))  # 1 high … 3 low
    method = models.CharField(_("回访方式"), max_length=8, choices=Method.choices)
    due_at = models.DateTimeField(_("到期时间"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责坐席"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callback_tasks",
        db_index=False,  # (assignee, status, …) serves the foreign key
    )
    # The pool of a team is its tasks without an assignee.
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callback_tasks",
        db_index=False,  # (team, status, …) serves the foreign key
        db_constraint=False,  # ADR 0014: the plan writes ~500,000 tasks a first night
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    rule = models.ForeignKey(
        CareRule,
        verbose_name=_("关怀规则"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        db_constraint=False,  # ADR 0014
    )
    rule_version = models.PositiveIntegerField(_("规则版本"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    plan_date = models.DateField(_("计划日期"))
    # What made it: ("complaint", 17), ("interaction", 99); empty for segment purposes.
    source_type = models.CharField(_("来源类型"), max_length=16, blank=True, default="")
    source_id = models.BigIntegerField(_("来源编号"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("逾期时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("升级给"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CallbackTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("回访任务")
        ordering = ["priority_rank", "due_at", "id"]
        constraints = [
            # At most one open task per customer and purpose (DESIGN.md §3).
            models.UniqueConstraint(
                fields=["customer", "purpose"],
                condition=Q(status__in=["open", "in_progress"]),
                name="task_one_open_per_purpose",
            ),
            # One task per event (a complaint, a contact, a survey answer).
            models.UniqueConstraint(
                fields=["purpose", "source_type", "source_id"],
                condition=Q(source_id__isnull=False),
                name="task_one_per_source",
            ),
            # A day's plan runs once per customer and purpose, however often it is started.
            models.UniqueConstraint(
                fields=["customer", "purpose", "plan_date"], name="task_one_per_day"
            ),
        ]
        indexes = [
            models.Index(
                fields=["assignee", "status", "priority_rank", "due_at"], name="task_queue"
            ),
            models.Index(fields=["team", "status", "due_at"], name="task_team"),
            models.Index(fields=["status", "due_at"], name="task_status_due"),
            models.Index(fields=["plan_date", "purpose"], name="task_plan_date"),
            # "a completed callback in the last 90 days" per customer (retention): without it
            # SQLite walks every done task through task_status_due for each candidate.
            models.Index(fields=["customer", "status", "closed_at"], name="task_customer_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class PlanRun(models.Model):
    """One evaluation of the rules for a date: nightly, every minute for events, or by hand."""

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", _("每日计划")
        MANUAL = "manual", _("手动运行")
        EVENT = "event", _("事件触发")

    as_of = models.DateField(_("计划日期"))
    dry_run = models.BooleanField(_("试运行"), default=False)
    trigger = models.CharField(
        _("触发方式"), max_length=16, choices=Trigger.choices, default=Trigger.MANUAL
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("运行人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    purposes = models.JSONField(_("关怀目的"), default=list, blank=True)  # [] = all
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # {"created": n, "suppressed": n, "messages": n, "by_purpose": {...}, "by_reason": {...}}
    counts = models.JSONField(_("统计"), default=dict, blank=True)

    class Meta:
        verbose_name = _("计划运行")
        ordering = ["-id"]
        indexes = [models.Index(fields=["as_of", "-id"], name="plan_run_as_of")]

    def __str__(self) -> str:
        return f"{self.as_of} {self.trigger}"


class PlanSuppression(models.Model):
    """A candidate who got no task on a day, and why (shown on the plan and customer pages)."""

    class Reason(models.TextChoices):
        PRECEDENCE = "precedence", _("同日已有更优先的关怀")
        HOLDOUT = "holdout", _("对照组")
        DO_NOT_CONTACT = "do_not_contact", _("免打扰")
        DUPLICATE = "duplicate", _("已有同类未完成任务")
        FREQUENCY_CAP = "frequency_cap", _("超过消息频率上限")

    plan_date = models.DateField(_("计划日期"))
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="plan_suppressions",
        db_index=False,  # (customer, plan_date) below
        db_constraint=False,  # ADR 0014: a log, ~350,000 rows a first night
    )
    purpose = models.CharField(_("关怀目的"), max_length=32, choices=purpose_choices)
    rule = models.ForeignKey(
        CareRule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,  # ADR 0014
    )
    reason_code = models.CharField(_("原因代码"), max_length=16, choices=Reason.choices)
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("计划抑制记录")
        ordering = ["plan_date", "customer_id", "purpose"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan_date", "customer", "purpose"], name="suppression_once_a_day"
            )
        ]
        indexes = [models.Index(fields=["customer", "plan_date"], name="suppression_customer")]

    def __str__(self) -> str:
        return f"{self.plan_date} {self.customer_id} {self.purpose} {self.reason_code}"


class AgentProfile(models.Model):
    """What the assignment needs to know about an agent (care-local; accounts stays as is)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("坐席"),
        on_delete=models.CASCADE,
        related_name="care_profile",
    )
    capacity = models.PositiveSmallIntegerField(_("最多未完成任务数"), default=40)
    regions = models.JSONField(_("负责地区"), default=list, blank=True)  # [] = any region
    skills = models.JSONField(_("技能"), default=list, blank=True)
    accepts_tasks = models.BooleanField(_("接收新任务"), default=True)

    class Meta:
        verbose_name = _("坐席设置")

    def __str__(self) -> str:
        return str(self.user)
