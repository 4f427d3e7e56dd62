"""The calendar page: the coming year's holidays and 调休 (package and the company's overrides),
the care holidays, and (admin only) adding or deleting an override."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.core import clock
from careloop.core.errors import DomainError
from careloop.workcal import selectors, services
from careloop.workcal.forms import OverrideForm


def _require_supervisor(user) -> None:
    if not (user.is_admin or user.is_supervisor):
        raise PermissionDenied


def _render(request, form: OverrideForm, status: int = 200):
    overview = selectors.calendar_overview(start=clock.today())
    return render(
        request, "workcal/holidays.html", {"overview": overview, "form": form}, status=status
    )


@login_required
def holidays(request):
    _require_supervisor(request.user)
    return _render(request, OverrideForm())


@login_required
@require_POST
def override_set(request):
    if not request.user.is_admin:
        raise PermissionDenied
    form = OverrideForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            override = services.holiday_override_set(
                actor=request.user,
                day=data["day"],
                is_working_day=data["kind"] == "work",
                name=data["name"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已保存 %(day)s 的安排") % {"day": override.day})
            return redirect("workcal:holidays")
    return _render(request, form, status=400)


@login_required
@require_POST
def override_delete(request, override_id: int):
    if not request.user.is_admin:
        raise PermissionDenied
    try:
        services.holiday_override_delete(actor=request.user, override_id=override_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除该日期的调整"))
    return redirect("workcal:holidays")
