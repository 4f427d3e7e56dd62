"""Customers, their orders and every contact with them (the customer 360)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.core.phones import mask_phone, national


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user) -> CustomerQuerySet:
        """Admin: all; supervisor: their team; agent: their team or owned by them."""
        if user.is_admin:
            return self
        if user.is_supervisor:
            return self.filter(team_id=user.team_id) if user.team_id else self.none()
        if not user.team_id:
            return self.filter(owner_id=user.pk)
        # Customers an agent owns are almost always in the agent's team. Looking up the few
        # that are not keeps the scope a single `team_id = …` that walks the (team, id) index
        # in order; `team_id = … OR owner_id = …` made both engines sort the whole team.
        elsewhere = list(
            Customer.objects.filter(owner_id=user.pk)
            .exclude(team_id=user.team_id)
            .values_list("pk", flat=True)[:1000]
        )
        if elsewhere:
            return self.filter(Q(team_id=user.team_id) | Q(pk__in=elsewhere))
        return self.filter(team_id=user.team_id)


class Tag(models.Model):
    name = models.CharField(_("标签"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("标签")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")
        UNKNOWN = "", _("未知")

    class Lifecycle(models.TextChoices):
        PROSPECT = "prospect", _("潜在客户")
        NEW = "new", _("新客户")
        ACTIVE = "active", _("活跃")
        CHURN_WARNING = "churn_warning", _("流失预警")
        DORMANT = "dormant", _("沉睡")
        LOST = "lost", _("流失")

    class Tier(models.TextChoices):
        A = "A", _("A 类")
        B = "B", _("B 类")
        C = "C", _("C 类")
        NONE = "", _("无")

    class ValueClass(models.TextChoices):
        CORE = "core", _("核心")
        POTENTIAL = "potential", _("潜力")
        NEW = "new", _("新客户")
        LOST = "lost", _("流失")
        REGULAR = "regular", _("普通")

    external_id = models.CharField(_("客户编号"), max_length=64, unique=True, null=True, blank=True)
    name = models.CharField(_("姓名"), max_length=100, db_index=True)
    name_initials = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    name_pinyin = models.CharField(max_length=128, blank=True, db_index=True, editable=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    phone_tail = models.CharField(max_length=4, blank=True, editable=False)
    email = models.CharField(_("邮箱"), max_length=254, blank=True)
    birthday = models.DateField(_("生日"), null=True, blank=True)
    region = models.CharField(_("省份/地区"), max_length=32, blank=True)
    city = models.CharField(_("城市"), max_length=32, blank=True)
    industry = models.CharField(_("行业"), max_length=32, blank=True)
    company = models.CharField(_("公司"), max_length=128, blank=True, db_index=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="customers")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
        db_index=False,  # (owner, -id) serves the foreign key too
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        db_index=False,  # (team, -id) serves the foreign key too
    )
    do_not_contact = models.BooleanField(_("免打扰"), default=False)
    registered_at = models.DateTimeField(_("注册时间"), null=True, blank=True)
    # Order summary, kept current by every order write (import, API) in one set-based UPDATE.
    first_order_at = models.DateTimeField(_("首次下单"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("最近下单"), null=True, blank=True)
    order_count = models.PositiveIntegerField(_("订单数"), default=0)
    lifetime_spend = models.DecimalField(_("累计消费"), max_digits=14, decimal_places=2, default=0)
    # Current segment (careloop.segments, as of `segmented_as_of`), written by one set-based
    # UPDATE in `segment_customers`; the list filters and sorts on these columns. Only the
    # three filters are indexed: scores, risk and health change for most customers every night,
    # and each index on them would be rewritten for each of those rows (sorting a team's
    # customers by them needs no index).
    r_days = models.PositiveIntegerField(_("距最近下单天数"), null=True, blank=True)
    f_count = models.PositiveIntegerField(_("近365天订单数"), default=0, db_default=0)
    m_spend = models.DecimalField(
        _("近365天消费"), max_digits=14, decimal_places=2, default=0, db_default=0
    )
    r_score = models.PositiveSmallIntegerField("R", null=True, blank=True)
    f_score = models.PositiveSmallIntegerField("F", null=True, blank=True)
    m_score = models.PositiveSmallIntegerField("M", null=True, blank=True)
    lifecycle = models.CharField(
        _("生命周期"),
        max_length=16,
        choices=Lifecycle.choices,
        default=Lifecycle.PROSPECT,
        db_default=Lifecycle.PROSPECT,
    )
    tier = models.CharField(
        _("价值等级"), max_length=1, choices=Tier.choices, blank=True, db_default=""
    )
    value_class = models.CharField(
        _("价值类别"), max_length=16, choices=ValueClass.choices, blank=True, db_default=""
    )
    churn_risk = models.FloatField(_("流失风险"), null=True, blank=True)
    expected_spend_12m = models.DecimalField(
        _("预计未来12个月消费"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    health = models.PositiveSmallIntegerField(_("健康度"), null=True, blank=True)
    health_reasons = models.JSONField(_("健康度原因"), default=list, blank=True, null=True)
    segmented_as_of = models.DateField(_("分群日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("客户")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["team", "-id"], name="customer_team_id"),
            models.Index(fields=["owner", "-id"], name="customer_owner_id"),
            # Equality lookups only: plain b-trees, without the `varchar_pattern_ops` twin that
            # `db_index=True` adds on PostgreSQL. The order summary (first/last order) is not
            # indexed, so refreshing it after an import is a HOT update that writes no index.
            models.Index(fields=["phone"], name="customer_phone"),
            models.Index(fields=["phone_tail"], name="customer_phone_tail"),
            models.Index(fields=["email"], name="customer_email"),
            models.Index(fields=["region"], name="customer_region"),
            models.Index(fields=["industry"], name="customer_industry"),
            # Segment filters: the list adds `… ORDER BY id DESC` within one value.
            models.Index(fields=["lifecycle", "-id"], name="customer_lifecycle_id"),
            models.Index(fields=["tier", "-id"], name="customer_tier_id"),
            models.Index(fields=["value_class", "-id"], name="customer_value_class_id"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_visible_to(self, user) -> bool:
        """The same rule as `CustomerQuerySet.visible_to`, for one loaded customer."""
        if user.is_admin:
            return True
        if user.is_supervisor:
            return bool(user.team_id) and self.team_id == user.team_id
        return self.owner_id == user.pk or (bool(user.team_id) and self.team_id == user.team_id)

    @property
    def salutation(self) -> str:
        """'张先生' / '李女士'; the full name when the gender is unknown (seed 000: *先生/女士)."""
        if self.gender == self.Gender.MALE:
            return f"{self.name[:1]}先生" if len(self.name) <= 4 else f"{self.name}先生"
        if self.gender == self.Gender.FEMALE:
            return f"{self.name[:1]}女士" if len(self.name) <= 4 else f"{self.name}女士"
        return self.name

    @property
    def display_name(self) -> str:
        """'张三 先生' — the full name with the honorific, as agents address them."""
        suffix = {self.Gender.MALE: "先生", self.Gender.FEMALE: "女士"}.get(self.gender, "")
        return f"{self.name} {suffix}".strip()

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def phone_national(self) -> str:
        return national(self.phone)

    @property
    def is_business(self) -> bool:
        return bool(self.company)


class CustomerKey(models.Model):
    """Every external id a customer is known by: its own, those of merged duplicates and of
    source systems matched by phone. Orders and complaints find their customer through it."""

    external_id = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="keys")

    class Meta:
        verbose_name = _("客户编号映射")

    def __str__(self) -> str:
        return self.external_id


class Order(models.Model):
    # Unique through Meta.constraints, not unique=True: on PostgreSQL a unique CharField also
    # gets a varchar_pattern_ops `_like` twin index that no query uses and every import writes.
    external_id = models.CharField(_("订单号"), max_length=64)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="orders", db_index=False
    )
    ordered_at = models.DateTimeField(_("下单时间"))
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)
    product = models.CharField(_("产品"), max_length=128, blank=True)
    category = models.CharField(_("品类"), max_length=64, blank=True)
    channel = models.CharField(_("渠道"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("订单")
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="order_external_id_unique"),
        ]
        indexes = [
            # Covering index for per-customer summaries and RFM (customer, time, amount).
            models.Index(fields=["customer", "ordered_at", "amount"], name="order_customer_time"),
            models.Index(fields=["ordered_at"], name="order_time"),
        ]

    def __str__(self) -> str:
        return self.external_id


class Interaction(models.Model):
    """One contact with a customer: consultation, callback, survey answer, message or note."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("电话")
        SMS = "sms", _("短信")
        WECHAT = "wechat", _("微信")
        EMAIL = "email", _("邮件")
        VISIT = "visit", _("上门")
        WEB = "web", _("网页")

    class Kind(models.TextChoices):
        CONSULT = "consult", _("咨询")
        COMPLAINT = "complaint", _("投诉")
        SUGGESTION = "suggestion", _("建议")
        CALLBACK = "callback", _("回访")
        SURVEY = "survey", _("调查")
        MESSAGE = "message", _("消息")
        NOTE = "note", _("备注")

    class Emotion(models.TextChoices):
        ANGRY = "angry", _("愤怒")
        ANXIOUS = "anxious", _("焦虑")
        CONFUSED = "confused", _("困惑")
        DISSATISFIED = "dissatisfied", _("不满")
        NEUTRAL = "neutral", _("中性")
        SATISFIED = "satisfied", _("满意")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    occurred_at = models.DateTimeField(_("时间"))
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("内容"), blank=True)
    nps = models.PositiveSmallIntegerField("NPS", null=True, blank=True)
    csat = models.PositiveSmallIntegerField("CSAT", null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Imported rows have no id of their own: a hash of their content makes re-imports idempotent.
    dedupe_key = models.CharField(max_length=40, unique=True, null=True, blank=True)
    # Set from `text` by careloop.emotion on every write; "" = not classified yet (backfill).
    # Database defaults too, so bulk SQL that does not name these columns still inserts.
    emotion = models.CharField(
        _("情绪"), max_length=16, choices=Emotion.choices, blank=True, default="", db_default=""
    )
    high_risk = models.BooleanField(_("高风险"), default=False, db_default=False)
    # The words that drove the result, joined by "、" (shown as the badge's tooltip).
    emotion_cues = models.CharField(
        _("情绪线索"), max_length=200, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("接触记录")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="interaction_customer"),
            # emotion_care: "a high-risk contact in the last 7 days" — a few rows among millions.
            models.Index(
                fields=["occurred_at", "customer"],
                condition=Q(high_risk=True),
                name="interaction_high_risk",
            ),
            # detractor_followup: "an NPS or CSAT answer in the last 7 days" — survey answers only.
            models.Index(
                fields=["occurred_at", "customer"],
                condition=Q(nps__isnull=False) | Q(csat__isnull=False),
                name="interaction_scored",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__lte=10), name="interaction_nps_range"
            ),
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="interaction_csat_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"
