"""Forms of the agent workspace: they parse and name fields; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.callbacks.models import (
    CallScript,
    FeedbackItem,
    Outcome,
    Satisfaction,
    Suggestion,
)
from careloop.callbacks.services import ItemIn
from careloop.care.models import Method
from careloop.care.purposes import purpose_choices
from careloop.complaints.models import Department
from careloop.customers.models import Customer

ITEM_ROWS = 3
BLANK = [("", "—")]


class QueueFilterForm(forms.Form):
    purpose = forms.ChoiceField(label=_("关怀目的"), required=False)
    method = forms.ChoiceField(
        label=_("回访方式"), required=False, choices=BLANK + list(Method.choices)
    )
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)
    pool = forms.BooleanField(label=_("团队任务池"), required=False)
    later = forms.BooleanField(label=_("含以后预约的"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = BLANK + purpose_choices()


class RecordForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("回访结果"),
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择回访结果")},
    )
    method = forms.ChoiceField(label=_("回访方式"), choices=Method.choices)
    duration_minutes = forms.IntegerField(
        label=_("通话时长(分钟)"),
        required=False,
        min_value=0,
        max_value=240,
        error_messages={"invalid": _("通话时长须为整数分钟")},
    )
    satisfaction = forms.ChoiceField(
        label=_("满意度"), required=False, choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    csat = forms.TypedChoiceField(
        label=_("CSAT 评分"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=BLANK + [(i, str(i)) for i in range(5, 0, -1)],
    )
    notes = forms.CharField(
        label=_("沟通记录"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_contact_on = forms.DateField(
        label=_("下次联系日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD")},
    )
    call_back_at = forms.DateTimeField(
        label=_("约定回拨时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": _("时间格式应为 YYYY-MM-DD HH:MM")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = [(d.pk, d.name) for d in Department.objects.order_by("name")]
        for i in range(ITEM_ROWS):
            self.fields[f"item_kind_{i}"] = forms.ChoiceField(
                label=_("反馈类型"),
                required=False,
                choices=[("", _("反馈类型")), *list(FeedbackItem.Kind.choices)],
            )
            self.fields[f"item_text_{i}"] = forms.CharField(
                label=_("反馈内容"),
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"placeholder": _("客户反馈的内容")}),
            )
            self.fields[f"item_urgency_{i}"] = forms.ChoiceField(
                label=_("紧急程度"),
                required=False,
                choices=[("normal", _("一般")), ("urgent", _("紧急 24h"))],
            )
            self.fields[f"item_department_{i}"] = forms.TypedChoiceField(
                label=_("处理部门"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("处理部门(问题必选)")), *departments],
            )

    def item_rows(self):
        return [
            [self[f"item_{name}_{i}"] for name in ("kind", "text", "urgency", "department")]
            for i in range(ITEM_ROWS)
        ]

    def clean(self):
        data = super().clean()
        for i in range(ITEM_ROWS):
            text = (data.get(f"item_text_{i}") or "").strip()
            kind = data.get(f"item_kind_{i}")
            if text and not kind:
                self.add_error(f"item_kind_{i}", _("请选择反馈类型"))
            if text and kind == FeedbackItem.Kind.ISSUE and not data.get(f"item_department_{i}"):
                self.add_error(f"item_department_{i}", _("需跟进问题须选择处理部门"))
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        minutes = d.get("duration_minutes")
        items = [
            ItemIn(
                kind=d.get(f"item_kind_{i}") or "",
                text=d.get(f"item_text_{i}") or "",
                urgency=d.get(f"item_urgency_{i}") or "normal",
                department_id=d.get(f"item_department_{i}"),
            )
            for i in range(ITEM_ROWS)
        ]
        return {
            "outcome": d["outcome"],
            "method": d["method"],
            "duration_seconds": minutes * 60 if minutes is not None else None,
            "satisfaction": d.get("satisfaction") or "",
            "csat": d.get("csat"),
            "notes": d.get("notes") or "",
            "next_contact_on": d.get("next_contact_on"),
            "call_back_at": d.get("call_back_at"),
            "items": [i for i in items if i.text.strip()],
        }


class VisitPlanForm(forms.Form):
    people = forms.CharField(label=_("拜访人员"), max_length=200)
    agenda = forms.CharField(label=_("拜访议程"), widget=forms.Textarea(attrs={"rows": 2}))


class ScriptForm(forms.Form):
    purpose = forms.ChoiceField(label=_("关怀目的"))
    value_class = forms.ChoiceField(
        label=_("价值类别"),
        required=False,
        choices=[("", _("全部客户")), *list(Customer.ValueClass.choices)],
    )
    opening = forms.CharField(label=_("开场白"), widget=forms.Textarea(attrs={"rows": 3}))
    questions = forms.CharField(
        label=_("核心问题(每行一个)"), widget=forms.Textarea(attrs={"rows": 4})
    )
    on_refusal = forms.CharField(
        label=_("客户拒绝时"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    on_angry = forms.CharField(
        label=_("客户情绪激动时"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    closing = forms.CharField(label=_("结束语"), widget=forms.Textarea(attrs={"rows": 2}))
    suggestions = forms.CharField(
        label=_("推荐话术(关联产品、优惠)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, script: CallScript | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = purpose_choices()
        if script is not None:
            for name in ("purpose", "value_class"):
                self.fields[name].disabled = True
                self.fields[name].required = False


class TicketResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("处理结果"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写处理结果")},
    )


class SuggestionReviewForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=Suggestion.Status.choices)
    review_note = forms.CharField(label=_("评审意见"), required=False, max_length=500)


class QualityReviewForm(forms.Form):
    score = forms.IntegerField(
        label=_("质检评分"),
        min_value=0,
        max_value=100,
        error_messages={
            "required": _("请填写质检评分"),
            "min_value": _("质检评分须为 0–100 的整数"),
            "max_value": _("质检评分须为 0–100 的整数"),
            "invalid": _("质检评分须为 0–100 的整数"),
        },
    )
    comment = forms.CharField(label=_("质检意见"), required=False, max_length=500)
