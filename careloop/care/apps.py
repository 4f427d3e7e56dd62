from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Labels of the audit log's care entries (shown on the 360 page's change log).
AUDIT_ACTIONS = {
    "care_rule.update": _("修改关怀规则"),
    "care.plan_run": _("运行关怀计划"),
    "callback_task.reassign": _("重新分配回访任务"),
    "callback_task.escalate": _("回访任务逾期升级"),
    "agent_profile.update": _("修改坐席设置"),
}


class CareConfig(AppConfig):
    name = "careloop.care"
    label = "care"

    def ready(self) -> None:
        from careloop.accounts.models import AUDIT_ACTIONS as ALL

        ALL.update(AUDIT_ACTIONS)
