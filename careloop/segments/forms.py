"""The two snapshot dates of the transitions view."""

from django import forms


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
