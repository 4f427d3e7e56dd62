"""Forms of the care pages: a rule (every field, trigger parameters by the rule's own keys), the
task filters, the bulk reassignment, an agent's settings and the plan date."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careloop.care import purposes as registry
from careloop.care.models import (
    TIER_KEYS,
    Assignment,
    CallbackTask,
    CareRule,
    Method,
    Priority,
)
from careloop.care.page_selectors import PARAM_LABELS, REASON_LABELS, TIER_LABELS, holdout_pct

# Where a service's refusal (DomainError.field) lands on the rule form.
RULE_ERROR_FIELDS = {"holdout_share": "holdout_pct", "methods": "methods_A"}


class RuleForm(forms.Form):
    """All fields of a care rule; `fields_for_service()` gives what `care_rule_update` takes."""

    name = forms.CharField(label=gettext_lazy("规则名称"), max_length=64)
    enabled = forms.BooleanField(label=gettext_lazy("启用"), required=False)
    priority = forms.ChoiceField(label=gettext_lazy("优先级"), choices=Priority.choices)
    due_days = forms.IntegerField(
        label=gettext_lazy("到期天数"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=gettext_lazy("留空:按优先级(高 7 天、中 15 天、低 30 天)"),
    )
    due_hours = forms.IntegerField(
        label=gettext_lazy("到期小时数"),
        required=False,
        min_value=1,
        max_value=720,
        help_text=gettext_lazy("事件类关怀:事件发生后多少小时内完成"),
    )
    audience = forms.ModelChoiceField(
        label=gettext_lazy("目标分群"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("全部客户(不限分群)"),
    )
    script_template = forms.CharField(
        label=gettext_lazy("话术模板"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("可用 {{称呼}}、{{坐席}} 等占位符"),
    )
    assignment = forms.ChoiceField(label=gettext_lazy("分配方式"), choices=Assignment.choices)
    holdout_pct = forms.DecimalField(
        label=gettext_lazy("对照组比例(%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(50),
        decimal_places=1,
        help_text=gettext_lazy("随机留出、不安排关怀的客户比例,用于衡量关怀效果(0–50)"),
    )

    # The version the form was opened on: a save over someone else's newer version is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, rule: CareRule, user, **kwargs):
        from careloop.segments.selectors import saved_segments

        self.rule = rule
        self.purpose = registry.get(rule.purpose)
        initial = {
            "name": rule.name,
            "enabled": rule.enabled,
            "priority": rule.priority,
            "due_days": rule.due_days,
            "due_hours": rule.due_hours,
            "audience": rule.audience_id,
            "script_template": rule.script_template,
            "assignment": rule.assignment,
            "holdout_pct": holdout_pct(rule.holdout_share).rstrip("%"),
            "version": rule.version,
        }
        methods = rule.methods or self.purpose.default_methods
        for tier in TIER_KEYS:
            chosen = methods.get(tier) or []
            initial[f"methods_{tier}"] = [chosen] if isinstance(chosen, str) else list(chosen)
        self.param_types: dict[str, type] = {}
        params = {**self.purpose.default_params, **(rule.params or {})}
        for key, value in params.items():
            initial[f"param_{key}"] = (
                json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
            )
        super().__init__(data, initial=initial, **kwargs)
        self.fields["audience"].queryset = saved_segments(user=user)
        for tier in TIER_KEYS:
            self.fields[f"methods_{tier}"] = forms.MultipleChoiceField(
                label=_("%(tier)s 类") % {"tier": TIER_LABELS[tier]}
                if tier != "none"
                else str(TIER_LABELS[tier]),
                choices=Method.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        for key, value in params.items():
            label = PARAM_LABELS.get(key, key)
            self.param_types[key] = type(value)
            if isinstance(value, bool):
                field = forms.BooleanField(label=label, required=False)
            elif isinstance(value, int):
                field = forms.IntegerField(label=label, min_value=0, max_value=3650)
            elif isinstance(value, dict | list):
                field = forms.CharField(
                    label=label, required=False, widget=forms.Textarea(attrs={"rows": 2})
                )
            else:
                field = forms.CharField(label=label, required=False, max_length=500)
            self.fields[f"param_{key}"] = field
        if not self.purpose.holdout:
            self.fields["holdout_pct"].disabled = True
            self.fields["holdout_pct"].help_text = _("投诉与风险类关怀不设对照组")

    @property
    def method_fields(self):
        return [self[f"methods_{tier}"] for tier in TIER_KEYS]

    @property
    def param_fields(self):
        return [self[f"param_{key}"] for key in self.param_types]

    def clean(self):
        data = super().clean()
        opened = data.get("version")
        if opened is not None and opened != self.rule.version:
            raise forms.ValidationError(
                _("该规则已被他人修改为第 %(v)s 版,请刷新页面后再修改") % {"v": self.rule.version}
            )
        for key, kind in self.param_types.items():
            name = f"param_{key}"
            if kind in (dict, list) and name in data:
                try:
                    value = json.loads(data[name] or ("{}" if kind is dict else "[]"))
                except ValueError:
                    self.add_error(name, _("请填写有效的 JSON"))
                    continue
                if not isinstance(value, kind):
                    self.add_error(name, _("格式不对"))
                    continue
                data[name] = value
        return data

    def fields_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        methods = {t: data[f"methods_{t}"] for t in TIER_KEYS if data.get(f"methods_{t}")}
        params = {key: data.get(f"param_{key}") for key in self.param_types}
        share = data.get("holdout_pct")
        return {
            "name": data["name"],
            "enabled": data["enabled"],
            "priority": data["priority"],
            "due_days": data.get("due_days"),
            "due_hours": data.get("due_hours"),
            "methods": {t: m[0] if len(m) == 1 else m for t, m in methods.items()},
            "params": params,
            "audience": data.get("audience"),
            "script_template": data.get("script_template", ""),
            "assignment": data["assignment"],
            "holdout_share": (share or Decimal(0)) / 100,
        }

    def add_domain_error(self, field: str | None, message: str) -> None:
        name = RULE_ERROR_FIELDS.get(field or "", field)
        self.add_error(name if name in self.fields else None, message)


YES_NO = [
    ("", gettext_lazy("全部")),
    ("yes", gettext_lazy("仅逾期")),
    ("no", gettext_lazy("未逾期")),
]


class TaskFilterForm(forms.Form):
    purpose = forms.ChoiceField(label=gettext_lazy("关怀目的"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[
            ("", gettext_lazy("全部状态")),
            ("open", gettext_lazy("未完成")),
            *CallbackTask.Status.choices,
        ],
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("优先级"),
        required=False,
        choices=[("", gettext_lazy("全部")), *Priority.choices],
    )
    assignee = forms.ChoiceField(label=gettext_lazy("负责坐席"), required=False)
    team = forms.ChoiceField(label=gettext_lazy("团队"), required=False)
    overdue = forms.ChoiceField(label=gettext_lazy("逾期"), required=False, choices=YES_NO)
    due_on = forms.DateField(
        label=gettext_lazy("到期日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    plan_date = forms.DateField(
        label=gettext_lazy("计划日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, data=None, *, agents, teams, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["purpose"].choices = [
            ("", _("全部目的")),
            *registry.purpose_choices(),
        ]
        self.fields["assignee"].choices = [
            ("", _("全部")),
            ("-", _("团队任务池(未分配)")),
            *[(a.username, str(a)) for a in agents],
        ]
        self.fields["team"].choices = [("", _("全部团队")), *[(t.pk, t.name) for t in teams]]


class ReassignForm(forms.Form):
    tasks = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)
    assignee = forms.ChoiceField(label=gettext_lazy("分配给"))

    def __init__(self, data=None, *, agents, **kwargs):
        super().__init__(data, **kwargs)
        self.agents = {str(a.pk): a for a in agents}
        self.fields["assignee"].choices = [
            ("pool", _("退回团队任务池")),
            *[(pk, str(a)) for pk, a in self.agents.items()],
        ]
        self.fields["tasks"].error_messages["required"] = _("请选择要分配的任务")

    def full_clean(self):
        # Any task id may be posted; the service checks scope and refuses what is not visible.
        ids = self.data.getlist("tasks") if hasattr(self.data, "getlist") else []
        self.fields["tasks"].choices = [(i, i) for i in ids if str(i).isdigit()]
        super().full_clean()

    def target(self):
        value = self.cleaned_data["assignee"]
        return None if value == "pool" else self.agents[value]


class AgentProfileForm(forms.Form):
    capacity = forms.IntegerField(
        label=gettext_lazy("最多未完成任务数"), min_value=1, max_value=500
    )
    regions = forms.CharField(
        label=gettext_lazy("负责地区"),
        required=False,
        max_length=400,
        help_text=gettext_lazy("用 、 或空格分隔;留空表示不限地区"),
    )
    skills = forms.CharField(label=gettext_lazy("技能"), required=False, max_length=400)
    accepts_tasks = forms.BooleanField(label=gettext_lazy("接收新任务"), required=False)


class SuppressionFilterForm(forms.Form):
    reason_code = forms.ChoiceField(
        label=gettext_lazy("原因"),
        required=False,
        choices=[("", gettext_lazy("全部原因")), *REASON_LABELS.items()],
    )
    purpose = forms.ChoiceField(label=gettext_lazy("关怀目的"), required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["purpose"].choices = [("", _("全部目的")), *registry.purpose_choices()]


class PlanDateForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("计划日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
