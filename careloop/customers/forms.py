"""Forms for the customer pages: parse the query string into CustomerFilters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.customers.selectors import SORTS, CustomerFilters


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=64, label=_("搜索"))
    region = forms.CharField(required=False, max_length=32, label=_("地区"))
    industry = forms.CharField(required=False, max_length=32, label=_("行业"))
    owner = forms.IntegerField(required=False, label=_("负责人"))
    tag = forms.CharField(required=False, max_length=32, label=_("标签"))
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORTS])

    def filters(self) -> CustomerFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return CustomerFilters(
            q=data.get("q") or "",
            region=data.get("region") or "",
            industry=data.get("industry") or "",
            owner=data.get("owner"),
            tag=data.get("tag") or "",
            sort=data.get("sort") or "-created",
        )


class NoteForm(forms.Form):
    text = forms.CharField(max_length=2000, label=_("备注"), widget=forms.Textarea)


class MergeForm(forms.Form):
    survivor = forms.IntegerField()
    duplicate = forms.IntegerField()
