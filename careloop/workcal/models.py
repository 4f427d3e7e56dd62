"""The editable part of the working calendar: days that differ from the official calendar."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Audit action codes of this app (registered into accounts' AUDIT_ACTIONS in apps.ready).
AUDIT_ACTIONS = {
    "holiday_override.set": _("设置节假日/调休"),
    "holiday_override.delete": _("删除节假日/调休"),
}


class HolidayOverride(models.Model):
    """One day whose status the company sets by hand: next year's holidays and 调休 before the
    `chinesecalendar` package covers them, or a correction. An override wins over the package."""

    day = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否上班"))
    name = models.CharField(_("名称"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("节假日调整")
        ordering = ["day"]

    def __str__(self) -> str:
        kind = _("上班") if self.is_working_day else _("放假")
        return f"{self.day:%Y-%m-%d} {kind} {self.name}".strip()
