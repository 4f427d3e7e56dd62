"""Users, roles and teams: who may see which customers, and the audit log of what they did."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A group of agents under a supervisor (e.g. 华东一组)."""

    code = models.SlugField(_("团队代码"), max_length=32, unique=True)
    name = models.CharField(_("团队名称"), max_length=64, unique=True)
    region = models.CharField(_("负责地区"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("团队")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        ADMIN = "admin", _("管理员")
        SUPERVISOR = "supervisor", _("主管")
        AGENT = "agent", _("客服专员")

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.AGENT)
    team = models.ForeignKey(
        Team,
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    display_name = models.CharField(_("显示名"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    @property
    def is_supervisor(self) -> bool:
        return self.role == self.Role.SUPERVISOR

    @property
    def may_see_phones(self) -> bool:
        return self.is_admin or self.role in settings.CARELOOP_PHONE_VISIBLE_ROLES


class ApiToken(models.Model):
    """A personal API token: shown once when created, stored only as a SHA-256 hash."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=64)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


AUDIT_ACTIONS = {
    "customer.create": _("创建客户"),
    "customer.update": _("修改资料"),
    "customer.tags": _("修改标签"),
    "customer.note": _("添加备注"),
    "customer.merge": _("合并重复客户"),
    "customer.phone_reveal": _("查看完整号码"),
    "customer.export": _("导出客户"),
    "interaction.create": _("记录接触"),
    "order.create": _("录入订单"),
    "import.run": _("导入数据"),
    "import.dry_run": _("试导入数据"),
    "emotion.backfill": _("补充情绪分析"),
    "api_token.create": _("创建 API 令牌"),
    "api_token.revoke": _("撤销 API 令牌"),
}


class AuditLog(models.Model):
    """Every change to customer data, every reveal of personal data and every export."""

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="audit_customer_at")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"

    @property
    def action_label(self) -> str:
        return str(AUDIT_ACTIONS.get(self.action, self.action))
