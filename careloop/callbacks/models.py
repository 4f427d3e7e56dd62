"""The agent workspace: call scripts, the callback record (回访记录表) with its feedback items,
and what closes the loop (follow-up tickets, sales leads, suggestions), visit plans and
quality reviews (质检).

- `CallScript` (+ `CallScriptVersion`): per purpose × value class (blank = any), versioned.
- `CallbackRecord`: one per call attempt on a `care.CallbackTask` (an unreached attempt too).
- `FeedbackItem`: issue → `FollowUpTicket` (a department, a deadline), need → `SalesLead`,
  suggestion → `Suggestion` (the board supervisors review monthly).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.care.models import Method
from careloop.care.purposes import purpose_choices
from careloop.customers.models import Customer

USER = settings.AUTH_USER_MODEL


class CallScript(models.Model):
    """话术: what the agent says for a purpose, optionally for one value class."""

    purpose = models.CharField(_("关怀目的"), max_length=32, choices=purpose_choices)
    value_class = models.CharField(
        _("价值类别"), max_length=16, choices=Customer.ValueClass.choices, blank=True
    )
    opening = models.TextField(_("开场白"))
    questions = models.TextField(_("核心问题"), help_text=_("每行一个问题"))
    on_refusal = models.TextField(_("客户拒绝时"), blank=True)
    on_angry = models.TextField(_("客户情绪激动时"), blank=True)
    closing = models.TextField(_("结束语"))
    suggestions = models.TextField(_("推荐话术(关联产品、优惠)"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_by = models.ForeignKey(
        USER,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("话术")
        ordering = ["purpose", "value_class"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "value_class"], name="script_one_per_class")
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.get_value_class_display() or ''}".strip()

    SNAPSHOT_FIELDS = ("opening", "questions", "on_refusal", "on_angry", "closing", "suggestions")

    def snapshot(self) -> dict:
        return {f: getattr(self, f) for f in self.SNAPSHOT_FIELDS}


class CallScriptVersion(models.Model):
    script = models.ForeignKey(CallScript, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    snapshot = models.JSONField(_("话术内容"))
    changed_by = models.ForeignKey(
        USER,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("话术版本")
        ordering = ["script", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["script", "version"], name="script_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.script_id} v{self.version}"


class Outcome(models.TextChoices):
    REACHED = "reached", _("接通")
    UNREACHED = "unreached", _("未接通")
    REFUSED = "refused", _("拒绝沟通")
    WRONG_NUMBER = "wrong_number", _("号码错误")
    CALL_LATER = "call_later", _("约定稍后再联系")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    NEUTRAL = "neutral", _("一般")
    DISSATISFIED = "dissatisfied", _("不满意")


class CallbackRecord(models.Model):
    """回访记录表: one call attempt on a task and what came of it."""

    task = models.ForeignKey(
        "care.CallbackTask",
        verbose_name=_("回访任务"),
        on_delete=models.CASCADE,
        related_name="records",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="callback_records",
        db_index=False,  # (customer, created_at) below
    )
    agent = models.ForeignKey(
        USER,
        verbose_name=_("坐席"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="callback_records",
        db_index=False,  # (agent, created_at) below
    )
    outcome = models.CharField(_("回访结果"), max_length=16, choices=Outcome.choices)
    method = models.CharField(_("回访方式"), max_length=8, choices=Method.choices)
    attempt = models.PositiveSmallIntegerField(_("第几次尝试"), default=1)
    duration_seconds = models.PositiveIntegerField(_("通话时长(秒)"), null=True, blank=True)
    satisfaction = models.CharField(
        _("满意度"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    csat = models.PositiveSmallIntegerField(
        "CSAT", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(_("备注"), blank=True)
    emotion = models.CharField(_("情绪"), max_length=16, blank=True)
    high_risk = models.BooleanField(_("高风险"), default=False)
    next_contact_on = models.DateField(_("下次联系日期"), null=True, blank=True)
    call_back_at = models.DateTimeField(_("约定回拨时间"), null=True, blank=True)
    interaction = models.ForeignKey(
        "customers.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("回访记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="record_customer"),
            models.Index(fields=["agent", "-created_at"], name="record_agent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5), name="record_csat_1_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.outcome}"


class FeedbackItem(models.Model):
    class Kind(models.TextChoices):
        ISSUE = "issue", _("需跟进问题")
        NEED = "need", _("潜在需求")
        SUGGESTION = "suggestion", _("建议")

    class Urgency(models.TextChoices):
        URGENT = "urgent", _("紧急(无法正常使用,24 小时内)")
        NORMAL = "normal", _("一般(纳入月度计划)")

    record = models.ForeignKey(CallbackRecord, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("反馈类型"), max_length=16, choices=Kind.choices)
    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    text = models.CharField(_("反馈内容"), max_length=500)

    class Meta:
        verbose_name = _("反馈条目")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text[:20]}"


class DepartmentSetting(models.Model):
    """How long a department has for a normal (non-urgent) follow-up ticket."""

    department = models.OneToOneField(
        "complaints.Department", on_delete=models.CASCADE, related_name="callback_setting"
    )
    normal_days = models.PositiveSmallIntegerField(_("一般问题处理天数"), default=30)

    class Meta:
        verbose_name = _("部门回访工单设置")

    def __str__(self) -> str:
        return f"{self.department_id}: {self.normal_days}"


class FollowUpTicketQuerySet(models.QuerySet):
    def visible_to(self, user) -> FollowUpTicketQuerySet:
        """Admin all; the department's head and members; the agent who raised it; the
        supervisor of that agent's team."""
        if user.is_admin:
            return self
        scope = Q(agent_id=user.pk) | Q(department__members=user) | Q(department__head=user)
        if user.is_supervisor and user.team_id:
            scope |= Q(agent__team_id=user.team_id)
        return self.filter(scope).distinct()


class FollowUpTicket(models.Model):
    """工单: an issue a customer raised on a callback, handed to a department."""

    class Status(models.TextChoices):
        OPEN = "open", _("处理中")
        RESOLVED = "resolved", _("已解决")

    item = models.OneToOneField(FeedbackItem, on_delete=models.CASCADE, related_name="ticket")
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="followup_tickets"
    )
    department = models.ForeignKey(
        "complaints.Department",
        verbose_name=_("处理部门"),
        on_delete=models.PROTECT,
        related_name="followup_tickets",
    )
    agent = models.ForeignKey(
        USER, verbose_name=_("提交坐席"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    urgent = models.BooleanField(_("紧急"), default=False)
    deadline = models.DateTimeField(_("处理截止"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("处理结果"), blank=True)
    resolved_by = models.ForeignKey(
        USER,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    resolution_task = models.ForeignKey(
        "care.CallbackTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = FollowUpTicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("跟进工单")
        ordering = ["status", "deadline", "id"]
        indexes = [models.Index(fields=["department", "status", "deadline"], name="ticket_queue")]

    def __str__(self) -> str:
        return f"T{self.pk}"

    @property
    def number(self) -> str:
        return f"GD{self.pk:06d}"


class SalesLeadQuerySet(models.QuerySet):
    def visible_to(self, user) -> SalesLeadQuerySet:
        if user.is_admin:
            return self
        if user.is_supervisor:
            return self.filter(customer__team_id=user.team_id) if user.team_id else self.none()
        return self.filter(owner_id=user.pk)


class SalesLead(models.Model):
    """销售线索: a need a customer mentioned; re-followed after 30 days."""

    class Status(models.TextChoices):
        NEW = "new", _("新线索")
        FOLLOWING = "following", _("跟进中")
        WON = "won", _("已成交")
        LOST = "lost", _("未成交")

    item = models.OneToOneField(FeedbackItem, on_delete=models.CASCADE, related_name="lead")
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="sales_leads"
    )
    owner = models.ForeignKey(
        USER,
        verbose_name=_("负责人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="sales_leads",
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.NEW)
    follow_up_on = models.DateField(_("再次跟进日期"))
    follow_task = models.ForeignKey(
        "care.CallbackTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = SalesLeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("销售线索")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"L{self.pk}"


class Suggestion(models.Model):
    """建议池: reviewed by supervisors monthly."""

    class Status(models.TextChoices):
        NEW = "new", _("新建议")
        ACCEPTED = "accepted", _("已采纳")
        DONE = "done", _("已落实")
        DECLINED = "declined", _("不采纳")

    item = models.OneToOneField(FeedbackItem, on_delete=models.CASCADE, related_name="suggestion")
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="suggestions"
    )
    text = models.CharField(_("建议内容"), max_length=500)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.NEW)
    review_note = models.CharField(_("评审意见"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        USER,
        verbose_name=_("评审人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("评审时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户建议")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="suggestion_status")]

    def __str__(self) -> str:
        return self.text[:30]


class VisitPlan(models.Model):
    """上门计划: who goes and what is on the agenda; the notice goes 3 working days before."""

    task = models.OneToOneField(
        "care.CallbackTask", on_delete=models.CASCADE, related_name="visit_plan"
    )
    people = models.CharField(_("拜访人员"), max_length=200)
    agenda = models.TextField(_("拜访议程"))
    notice_at = models.DateTimeField(_("预约通知时间"), null=True, blank=True)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("上门计划")

    def __str__(self) -> str:
        return f"{self.task_id}"


class QualityReview(models.Model):
    """质检: a supervisor's score (0–100) and comment on one record."""

    record = models.OneToOneField(CallbackRecord, on_delete=models.CASCADE, related_name="review")
    reviewer = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("质检评分"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    comment = models.CharField(_("质检意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("质检记录")
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="review_score_0_100")
        ]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.score}"
