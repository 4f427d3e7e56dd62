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
