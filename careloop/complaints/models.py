"""Complaints from intake to closure: 受理 → 诊断 → 方案 → 执行 → 回访确认 → 复盘.

`status` stays coarse (open/resolved/closed: the importer, the care planner and the segments
read it); `stage` is the detailed step of the workflow. New columns carry `db_default`s because
the importer inserts rows with plain SQL.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ONLINE_CHANNELS = {"online", "email", "wechat", "web", "app", "weibo"}


# Labels of the audit log's complaint entries (registered into accounts.AUDIT_ACTIONS on ready).
AUDIT_ACTIONS = {
    "complaint.create": _("受理投诉"),
    "complaint.respond": _("首次响应投诉"),
    "complaint.diagnose": _("诊断投诉"),
    "complaint.solution": _("制定投诉方案"),
    "complaint.option": _("记录客户选择的补偿方案"),
    "complaint.step_add": _("添加投诉处理步骤"),
    "complaint.progress": _("发送投诉进度通知"),
    "complaint.pause": _("投诉计时暂停(等待客户)"),
    "complaint.resume": _("投诉计时恢复"),
    "complaint.resolve": _("投诉已解决"),
    "complaint.close": _("回访确认后关闭投诉"),
    "complaint.reopen": _("投诉重新打开"),
}


class Department(models.Model):
    """A department that owns solution steps (技术部, 售后部, 物流, 质检部); its head is the
    second escalation level."""

    name = models.CharField(_("部门名称"), max_length=64, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("成员"),
        blank=True,
        related_name="departments",
    )

    class Meta:
        verbose_name = _("部门")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Response and resolution targets; the most specific row wins (category and customer
    tier blank = any)."""

    severity = models.CharField(_("等级"), max_length=1)
    category = models.CharField(_("类别"), max_length=64, blank=True)
    tier = models.CharField(_("客户价值等级"), max_length=1, blank=True)
    first_response_hours = models.DecimalField(
        _("首次响应时限(小时)"), max_digits=7, decimal_places=2
    )
    resolution_hours = models.DecimalField(_("解决时限(小时)"), max_digits=7, decimal_places=2)
    business_hours = models.BooleanField(_("按工作时间计"), default=False)
    warn_ratio = models.DecimalField(
        _("预警比例"), max_digits=4, decimal_places=2, default=Decimal("0.8")
    )
    head_ratio = models.DecimalField(
        _("升级部门负责人比例"), max_digits=4, decimal_places=2, default=Decimal("1.5")
    )

    class Meta:
        verbose_name = _("SLA 策略")
        ordering = ["severity", "category", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["severity", "category", "tier"], name="sla_policy_key")
        ]

    def __str__(self) -> str:
        return f"{self.severity}/{self.category or '*'}/{self.tier or '*'}"


class ComplaintCounter(models.Model):
    """The last number handed out on a day (TS20261125-0001): one row per day, bumped with
    an UPDATE … + 1 that serialises concurrent intakes."""

    day = models.DateField(primary_key=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.value}"


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user) -> ComplaintQuerySet:
        """Admin: all; supervisor and agent: complaints of their team's customers (and of
        customers they own); department members and heads: complaints their department is
        responsible for or has a step in."""
        if user.is_admin:
            return self
        scope = Q(customer__owner_id=user.pk)
        if user.team_id:
            scope |= Q(customer__team_id=user.team_id)
        departments = list(
            Department.objects.filter(Q(members=user) | Q(head=user))
            .values_list("pk", flat=True)
            .distinct()
        )
        if departments:
            steps = ComplaintStep.objects.filter(department_id__in=departments)
            scope |= Q(department_id__in=departments) | Q(pk__in=steps.values("complaint_id"))
        return self.filter(scope)

    def open(self) -> ComplaintQuerySet:
        return self.filter(status=Complaint.Status.OPEN)


class Complaint(models.Model):
    class Severity(models.TextChoices):
        A = "A", _("A 停产/无法使用")
        B = "B", _("B 质量缺陷")
        C = "C", _("C 咨询疑问")

    class Status(models.TextChoices):
        OPEN = "open", _("处理中")
        RESOLVED = "resolved", _("已解决")
        CLOSED = "closed", _("已关闭")

    class Stage(models.TextChoices):
        NEW = "new", _("待响应")
        RESPONDED = "responded", _("已响应")
        DIAGNOSING = "diagnosing", _("诊断中")
        SOLUTION = "solution", _("方案确定")
        EXECUTING = "executing", _("执行中")
        WAITING = "waiting_customer", _("等待客户")
        RESOLVED = "resolved", _("已解决")
        CLOSED = "closed", _("已关闭")
        REOPENED = "reopened", _("已重开")

    class Channel(models.TextChoices):
        PHONE = "phone", _("电话")
        ONLINE = "online", _("在线客服")
        EMAIL = "email", _("邮件")
        WECHAT = "wechat", _("微信")
        WEB = "web", _("网页")
        VISIT = "visit", _("上门/到店")
        LETTER = "letter", _("信函")

    class Nature(models.TextChoices):
        FACT = "fact", _("事实型投诉")
        EMOTION = "emotion", _("情绪型投诉")

    class RootCause(models.TextChoices):
        PEOPLE = "people", _("人")
        GOODS = "goods", _("货")
        PLACE = "place", _("场")

    class SolutionType(models.TextChoices):
        COMPENSATION = "compensation", _("补偿方案")
        PROCESS = "process", _("流程改进")
        COGNITIVE = "cognitive", _("认知引导")

    external_id = models.CharField(_("投诉编号"), max_length=64, unique=True, null=True, blank=True)
    number = models.CharField(_("工单号"), max_length=32, unique=True, null=True, blank=True)
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

    # Intake
    stage = models.CharField(
        _("阶段"), max_length=20, choices=Stage.choices, blank=True, default="", db_default=""
    )
    subject = models.CharField(_("主题"), max_length=200, blank=True, default="", db_default="")
    product = models.CharField(_("产品"), max_length=128, blank=True, default="", db_default="")
    contact_email = models.CharField(
        _("联系邮箱"), max_length=254, blank=True, default="", db_default=""
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_assigned",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("重复投诉自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
    )
    is_repeat = models.BooleanField(_("重复投诉"), default=False, db_default=False)

    # Diagnosis: fact or emotion, the three questions, 人/货/场
    nature = models.CharField(
        _("投诉性质"), max_length=8, choices=Nature.choices, blank=True, default="", db_default=""
    )
    what_happened = models.TextField(_("发生了什么"), blank=True, default="", db_default="")
    expected_outcome = models.TextField(_("期望结果"), blank=True, default="", db_default="")
    reported_before = models.BooleanField(_("之前是否反映过"), null=True, blank=True)
    root_cause = models.CharField(
        _("根因维度"),
        max_length=8,
        choices=RootCause.choices,
        blank=True,
        default="",
        db_default="",
    )
    root_cause_note = models.TextField(_("根因说明"), blank=True, default="", db_default="")

    # Solution
    solution_type = models.CharField(
        _("方案类型"),
        max_length=16,
        choices=SolutionType.choices,
        blank=True,
        default="",
        db_default="",
    )
    solution = models.TextField(_("方案说明"), blank=True, default="", db_default="")
    chosen_option = models.ForeignKey(
        "ComplaintOption",
        verbose_name=_("客户选择的方案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # SLA clocks: targets copied from the policy at intake; the deadlines move when the clock
    # is paused (waiting for the customer) and restart when the complaint is reopened.
    business_hours = models.BooleanField(_("按工作时间计"), default=False, db_default=False)
    clock_started_at = models.DateTimeField(_("计时开始"), null=True, blank=True)
    first_response_hours = models.DecimalField(
        _("首次响应时限(小时)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    resolution_hours = models.DecimalField(
        _("解决时限(小时)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_due = models.DateTimeField(_("首次响应截止"), null=True, blank=True)
    first_response_head_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(_("解决截止"), null=True, blank=True)
    resolution_head_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    ack_sent_at = models.DateTimeField(_("自动确认时间"), null=True, blank=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    paused_hours = models.DecimalField(
        _("累计暂停(小时)"), max_digits=9, decimal_places=2, default=0, db_default=0
    )
    resume_stage = models.CharField(max_length=20, blank=True, default="", db_default="")
    escalation_level = models.PositiveSmallIntegerField(_("升级级别"), default=0, db_default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重开次数"), default=0, db_default=0)
    reopened_at = models.DateTimeField(_("重开时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    first_resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("投诉")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-opened_at"], name="complaint_customer"),
            models.Index(fields=["status", "resolution_due"], name="complaint_status_due"),
        ]

    def __str__(self) -> str:
        return self.number or self.external_id or f"#{self.pk}"

    @property
    def label(self) -> str:
        return str(self)

    @property
    def is_online(self) -> bool:
        return self.channel in ONLINE_CHANNELS

    @property
    def channel_label(self) -> str:
        """电话 / 在线客服 …; imported rows may carry any text, shown as it is."""
        if self.channel in self.Channel.values:
            return str(self.Channel(self.channel).label)
        return self.channel or "—"

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def stage_label(self) -> str:
        if self.stage:
            return str(self.Stage(self.stage).label)
        return str(self.get_status_display())


class ComplaintAttachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("附件"), upload_to="complaints/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("投诉附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ComplaintOption(models.Model):
    """One tier of a compensation offer the customer chooses from (50 元券 / 退一半 / 全额退款)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("方案"), max_length=200)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("补偿选项")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class ComplaintStep(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    title = models.CharField(_("步骤"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaint_steps",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="steps",
    )
    deadline = models.DateTimeField(_("截止时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("逾期提醒时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("执行步骤")
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return self.title


class ComplaintUpdate(models.Model):
    """A progress update sent to the customer (at least one before the complaint is resolved)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(_("进度内容"))
    channel = models.CharField(_("发送渠道"), max_length=16, default="sms")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("发送时间"))

    class Meta:
        verbose_name = _("进度通知")
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return self.text[:30]


SLA_EVENTS = (
    "first_response_warning",
    "first_response_breach",
    "first_response_head",
    "resolution_warning",
    "resolution_breach",
    "resolution_head",
)


class ComplaintEvent(models.Model):
    """The log of a complaint: every stage change and every SLA warning/breach (once per clock
    cycle — a reopen starts a new cycle)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("受理")
        ACK = "ack", _("自动确认已发送")
        RESPONDED = "responded", _("首次响应")
        DIAGNOSED = "diagnosed", _("完成诊断")
        SOLUTION = "solution", _("确定方案")
        OPTION_CHOSEN = "option_chosen", _("客户选择方案")
        STEP_ADDED = "step_added", _("新增步骤")
        STEP_DONE = "step_done", _("步骤完成")
        STEP_OVERDUE = "step_overdue", _("步骤逾期")
        PROGRESS = "progress", _("进度通知客户")
        PAUSED = "paused", _("暂停计时(等待客户)")
        RESUMED = "resumed", _("恢复计时")
        RESOLVED = "resolved", _("已解决")
        CLOSED = "closed", _("回访确认满意,关闭")
        REOPENED = "reopened", _("重开")
        FIRST_RESPONSE_WARNING = "first_response_warning", _("首次响应即将超时(80%)")
        FIRST_RESPONSE_BREACH = "first_response_breach", _("首次响应超时,升级主管")
        FIRST_RESPONSE_HEAD = "first_response_head", _("首次响应严重超时,升级部门负责人")
        RESOLUTION_WARNING = "resolution_warning", _("解决即将超时(80%)")
        RESOLUTION_BREACH = "resolution_breach", _("解决超时,升级主管")
        RESOLUTION_HEAD = "resolution_head", _("解决严重超时,升级部门负责人")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    cycle = models.PositiveSmallIntegerField(default=0)
    at = models.DateTimeField(_("时间"))
    due_at = models.DateTimeField(_("阈值时间"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notify = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("通知对象"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("投诉日志")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="complaint_event_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "kind", "cycle"],
                condition=Q(kind__in=SLA_EVENTS),
                name="complaint_sla_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
