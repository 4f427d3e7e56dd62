"""The admin's form for one holiday override (a day off or a make-up working day)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class OverrideForm(forms.Form):
    KINDS = [("off", _("放假")), ("work", _("上班(调休)"))]

    day = forms.DateField(
        label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )
    kind = forms.ChoiceField(label=_("安排"), choices=KINDS)
    name = forms.CharField(
        label=_("名称"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如 春节、春节调休")}),
    )
