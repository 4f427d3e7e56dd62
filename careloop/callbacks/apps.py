from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Labels of the audit log's agent-workspace entries.
AUDIT_ACTIONS = {
    "callback_task.claim": _("领取回访任务"),
    "callback.record": _("填写回访记录"),
    "followup_ticket.create": _("创建跟进工单"),
    "followup_ticket.resolve": _("跟进工单处理完成"),
    "sales_lead.create": _("创建销售线索"),
    "sales_lead.update": _("更新销售线索"),
    "suggestion.review": _("评审客户建议"),
    "visit_plan.save": _("保存上门计划"),
    "call_script.save": _("保存话术"),
    "quality_review.save": _("回访质检评分"),
}


class CallbacksConfig(AppConfig):
    name = "careloop.callbacks"
    label = "callbacks"
    verbose_name = _("回访工作台")

    def ready(self) -> None:
        from careloop.accounts.models import AUDIT_ACTIONS as ALL

        ALL.update(AUDIT_ACTIONS)
