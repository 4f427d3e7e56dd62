from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.imports.models import ImportJob


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=_("文件"))
    skip_invalid = forms.BooleanField(label=_("跳过错误行,只写入有效行"), required=False)
