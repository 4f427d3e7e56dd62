"""The filters of the messages page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.messaging.models import ScheduledMessage
from careloop.messaging.selectors import PURPOSE_LABELS


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), *ScheduledMessage.Status.choices],
    )
    purpose = forms.ChoiceField(
        label=_("目的"), required=False, choices=[("", _("全部目的")), *PURPOSE_LABELS.items()]
    )
    channel = forms.ChoiceField(
        label=_("渠道"),
        required=False,
        choices=[("", _("全部渠道")), *ScheduledMessage.Channel.choices],
    )
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class OptOutForm(forms.Form):
    phone = forms.CharField(label=_("客户手机"), max_length=32)
    channel = forms.ChoiceField(
        label=_("渠道"),
        required=False,
        choices=[("", _("全部渠道")), *ScheduledMessage.Channel.choices],
    )
    note = forms.CharField(
        label=_("备注"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如 客户来电要求不再发送促销短信")}),
    )
