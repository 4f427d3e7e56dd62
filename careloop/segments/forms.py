"""The two snapshot dates of the transitions view; a saved segment's name and description."""

from django import forms
from django.utils.translation import gettext_lazy as _


class TransitionForm(forms.Form):
    since = forms.DateField()
    until = forms.DateField()

    def __init__(self, *args, dates, **kwargs):
        super().__init__(*args, **kwargs)
        self.dates = set(dates)

    def clean(self):
        data = super().clean()
        for key in ("since", "until"):
            if data.get(key) and data[key] not in self.dates:
                self.add_error(key, "no snapshot")
        return data


class SavedSegmentForm(forms.Form):
    """Name and description of a saved segment; its filters come from the customer list's
    filter fields (`customers.forms.CustomerFilterForm`) posted with it."""

    name = forms.CharField(label=_("分群名称"), max_length=64)
    description = forms.CharField(label=_("说明"), max_length=255, required=False)
