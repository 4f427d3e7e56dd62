"""Forms of the complaint pages: intake, each stage's form and the list filters."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import User
from careloop.complaints.models import Complaint, Department
from careloop.complaints.selectors import ComplaintFilters
from careloop.core import clock

BLANK = [("", _("请选择"))]


class DateInput(forms.DateInput):
    input_type = "date"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ComplaintForm(forms.Form):
    phone = forms.CharField(label=_("客户手机"), max_length=20, required=False)
    email = forms.CharField(label=_("客户邮箱"), max_length=254, required=False)
    name = forms.CharField(label=_("客户姓名(新客户)"), max_length=100, required=False)
    channel = forms.ChoiceField(label=_("渠道"), choices=Complaint.Channel.choices)
    severity = forms.ChoiceField(label=_("等级"), choices=Complaint.Severity.choices)
    category = forms.CharField(label=_("类别"), max_length=64, required=False)
    product = forms.CharField(label=_("产品"), max_length=128, required=False)
    subject = forms.CharField(label=_("主题"), max_length=200, required=False)
    description = forms.CharField(label=_("投诉描述"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label=_("附件"), required=False)


class DiagnoseForm(forms.Form):
    nature = forms.ChoiceField(label=_("投诉性质"), choices=[*BLANK, *Complaint.Nature.choices])
    what_happened = forms.CharField(label=_("发生了什么"), widget=forms.Textarea(attrs={"rows": 2}))
    expected_outcome = forms.CharField(
        label=_("客户期望的结果"), widget=forms.Textarea(attrs={"rows": 2})
    )
    reported_before = forms.NullBooleanField(
        label=_("之前是否反映过"),
        widget=forms.Select(
            choices=[("unknown", _("不清楚")), ("true", _("是")), ("false", _("否"))]
        ),
    )
    root_cause = forms.ChoiceField(
        label=_("根因维度(人/货/场)"), choices=[*BLANK, *Complaint.RootCause.choices]
    )
    root_cause_note = forms.CharField(label=_("根因说明"), required=False)
    category = forms.CharField(label=_("类别"), max_length=64, required=False)
    department = forms.ModelChoiceField(
        label=_("责任部门"), queryset=Department.objects.all(), required=False
    )


class SolutionForm(forms.Form):
    solution_type = forms.ChoiceField(
        label=_("方案类型"), choices=[*BLANK, *Complaint.SolutionType.choices]
    )
    solution = forms.CharField(label=_("方案说明"), widget=forms.Textarea(attrs={"rows": 2}))
    options = forms.CharField(
        label=_("补偿选项(每行一个:说明|金额)"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("50 元优惠券|50\n退款一半|149.50")}
        ),
    )

    def cleaned_options(self) -> list[dict]:
        rows = []
        for line in (self.cleaned_data.get("options") or "").splitlines():
            label, _sep, amount = line.partition("|")
            if label.strip():
                rows.append({"label": label.strip(), "amount": amount.strip() or None})
        return rows


class StepForm(forms.Form):
    title = forms.CharField(label=_("步骤"), max_length=200)
    owner = forms.ModelChoiceField(label=_("负责人"), queryset=User.objects.none(), required=False)
    department = forms.ModelChoiceField(
        label=_("部门"), queryset=Department.objects.all(), required=False
    )
    deadline = forms.DateTimeField(
        label=_("截止时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners


class ProgressForm(forms.Form):
    text = forms.CharField(
        label=_("进度内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    channel = forms.ChoiceField(
        label=_("发送渠道"),
        choices=[("sms", _("短信")), ("email", _("邮件")), ("wechat", _("微信"))],
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("备注"), max_length=2000, required=False)


class ConfirmForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=_("回访结果"),
        choices=[("yes", _("客户满意,关闭投诉")), ("no", _("客户不满意,重开投诉"))],
        coerce=lambda v: v == "yes",
    )
    note = forms.CharField(label=_("回访记录"), max_length=2000, required=False)


class ComplaintFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=64)
    status = forms.ChoiceField(
        required=False,
        choices=[("", ""), *Complaint.Status.choices, *Complaint.Stage.choices],
    )
    severity = forms.ChoiceField(required=False, choices=[("", ""), *Complaint.Severity.choices])
    overdue = forms.BooleanField(required=False)
    team = forms.IntegerField(required=False)
    category = forms.CharField(required=False, max_length=64)
    root_cause = forms.ChoiceField(
        required=False, choices=[("", ""), ("none", ""), *Complaint.RootCause.choices]
    )
    product = forms.CharField(required=False, max_length=128)
    month = forms.RegexField(required=False, regex=r"^\d{4}-\d{2}$")
    repeat = forms.BooleanField(required=False)
    reopened = forms.BooleanField(required=False)
    breached = forms.BooleanField(required=False)
    department = forms.IntegerField(required=False)
    converted = forms.BooleanField(required=False)
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)

    def filters(self) -> ComplaintFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return ComplaintFilters(
            q=data.get("q") or "",
            status=data.get("status") or "",
            severity=data.get("severity") or "",
            overdue=bool(data.get("overdue")),
            team=data.get("team"),
            category=data.get("category") or "",
            root_cause=data.get("root_cause") or "",
            product=data.get("product") or "",
            month=data.get("month") or "",
            repeat=bool(data.get("repeat")),
            reopened=bool(data.get("reopened")),
            breached=bool(data.get("breached")),
            department=data.get("department"),
            converted=bool(data.get("converted")),
            since=data.get("since"),
            until=data.get("until"),
        )


class ReviewForm(forms.Form):
    since = forms.DateField(label=_("开始日期"), required=False, widget=DateInput)
    until = forms.DateField(label=_("结束日期"), required=False, widget=DateInput)

    def period(self) -> tuple[date, date]:
        """Default: the last six months up to today (Asia/Shanghai)."""
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until") or clock.today()
        since = data.get("since") or (until.replace(day=1) - timedelta(days=150)).replace(day=1)
        return (since, until) if since <= until else (until, since)
