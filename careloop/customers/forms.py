"""Forms for the customer pages: parse the query string into CustomerFilters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.customers.models import Customer
from careloop.customers.selectors import SAVED_FILTER_FIELDS, SORTS, CustomerFilters
from careloop.customers.services import EDITABLE_FIELDS


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=64, label=_("搜索"))
    region = forms.CharField(required=False, max_length=32, label=_("地区"))
    city = forms.CharField(required=False, max_length=32, label=_("城市"))
    industry = forms.CharField(required=False, max_length=32, label=_("行业"))
    gender = forms.ChoiceField(
        required=False,
        label=_("性别"),
        choices=[("", ""), ("M", _("男")), ("F", _("女")), ("none", _("未知"))],
    )
    owner = forms.IntegerField(required=False, label=_("负责人"))
    team = forms.IntegerField(required=False, label=_("团队"))
    tag = forms.CharField(required=False, max_length=32, label=_("标签"))
    do_not_contact = forms.ChoiceField(
        required=False, label=_("免打扰"), choices=[("", ""), ("yes", _("是")), ("no", _("否"))]
    )
    segment = forms.IntegerField(required=False, label=_("分群"))
    lifecycle = forms.ChoiceField(
        required=False, label=_("生命周期"), choices=[("", ""), *Customer.Lifecycle.choices]
    )
    tier = forms.ChoiceField(
        required=False,
        label=_("价值等级"),
        choices=[("", ""), ("A", "A"), ("B", "B"), ("C", "C"), ("none", _("无"))],
    )
    value_class = forms.ChoiceField(
        required=False, label=_("价值类别"), choices=[("", ""), *Customer.ValueClass.choices]
    )
    moved_from = forms.ChoiceField(required=False, choices=[("", ""), *Customer.Lifecycle.choices])
    moved_to = forms.ChoiceField(required=False, choices=[("", ""), *Customer.Lifecycle.choices])
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORTS])

    def filters(self) -> CustomerFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return CustomerFilters(
            q=data.get("q") or "",
            region=data.get("region") or "",
            city=data.get("city") or "",
            industry=data.get("industry") or "",
            gender=data.get("gender") or "",
            owner=data.get("owner"),
            team=data.get("team"),
            tag=data.get("tag") or "",
            do_not_contact={"yes": True, "no": False}.get(data.get("do_not_contact") or ""),
            segment=data.get("segment"),
            lifecycle=data.get("lifecycle") or "",
            tier=data.get("tier") or "",
            value_class=data.get("value_class") or "",
            moved_from=data.get("moved_from") or "",
            moved_to=data.get("moved_to") or "",
            since=data.get("since"),
            until=data.get("until"),
            sort=data.get("sort") or "-created",
        )

    def saved_filters(self) -> dict:
        """The filters a saved segment keeps, as stored in `SavedSegment.filters`."""
        filters = self.filters()
        return {key: getattr(filters, key) for key in SAVED_FILTER_FIELDS}


class NoteForm(forms.Form):
    text = forms.CharField(max_length=2000, label=_("备注"), widget=forms.Textarea)


class MergeForm(forms.Form):
    survivor = forms.IntegerField()
    duplicate = forms.IntegerField()


class CustomerForm(forms.Form):
    """Profile fields a person edits; the service validates phone and uniqueness."""

    external_id = forms.CharField(label=_("客户编号"), max_length=64, required=False)
    name = forms.CharField(label=_("姓名"), max_length=100)
    gender = forms.ChoiceField(
        label=_("性别"), required=False, choices=[("", _("未知")), ("M", _("男")), ("F", _("女"))]
    )
    phone = forms.CharField(label=_("手机"), max_length=32, required=False)
    email = forms.EmailField(label=_("邮箱"), required=False)
    birthday = forms.DateField(
        label=_("生日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    region = forms.CharField(label=_("省份/地区"), max_length=32, required=False)
    city = forms.CharField(label=_("城市"), max_length=32, required=False)
    industry = forms.CharField(label=_("行业"), max_length=32, required=False)
    company = forms.CharField(label=_("公司"), max_length=128, required=False)
    owner = forms.ModelChoiceField(label=_("负责人"), queryset=None, required=False)
    team = forms.ModelChoiceField(label=_("团队"), queryset=None, required=False)
    do_not_contact = forms.BooleanField(label=_("免打扰(不做主动关怀)"), required=False)

    def __init__(self, *args, user, **kwargs):
        from careloop.accounts.models import Team
        from careloop.accounts.selectors import users_visible_to

        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = users_visible_to(user)
        if user.is_admin:
            self.fields["team"].queryset = Team.objects.all()
        else:
            del self.fields["team"]  # only admins move customers between teams

    @classmethod
    def initial_for(cls, customer) -> dict:
        data = {f: getattr(customer, f) for f in EDITABLE_FIELDS if f in cls.base_fields}
        data["phone"] = customer.phone_national
        return data
