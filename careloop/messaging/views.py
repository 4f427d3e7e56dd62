"""The messages page: what was scheduled, sent or suppressed (and why), in the user's scope."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.core.errors import DomainError, NotFound
from careloop.core.pagination import COUNT_CAP, paginate
from careloop.customers.selectors import customer_by_phone
from careloop.messaging import selectors, services
from careloop.messaging.forms import MessageFilterForm, OptOutForm
from careloop.messaging.models import ScheduledMessage


@login_required
def message_list(request):
    form = MessageFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.MessageFilters(
        status=data.get("status", ""),
        purpose=data.get("purpose", ""),
        channel=data.get("channel", ""),
        customer_id=data.get("customer"),
    )
    page = paginate(
        selectors.message_list(user=request.user, filters=filters),
        request.GET.get("page"),
        per_page=settings.CARELOOP_PAGE_SIZE,
        count_cap=COUNT_CAP,
    )
    for message in page.object_list:
        message.purpose_label = selectors.purpose_label(message.purpose)
    counts = selectors.message_status_counts(user=request.user, filters=filters)
    base = {
        "purpose": filters.purpose,
        "channel": filters.channel,
        "customer": filters.customer_id or "",
    }
    tabs = [
        {
            "status": "",
            "label": _("全部"),
            "n": sum(counts.values()),
        }
    ] + [
        {"status": value, "label": label, "n": counts[value]}
        for value, label in ScheduledMessage.Status.choices
    ]
    for tab in tabs:
        tab["query"] = urlencode({k: v for k, v in (base | {"status": tab["status"]}).items() if v})
    query = urlencode({k: v for k, v in (base | {"status": filters.status}).items() if v})
    return render(
        request,
        "messaging/list.html",
        {
            "form": form,
            "page": page,
            "tabs": tabs,
            "filters": filters,
            "query": query,
            "cap_days": settings.CARELOOP_MESSAGE_FREQUENCY_DAYS,
            "quiet_hours": settings.CARELOOP_QUIET_HOURS,
        },
    )


def _opt_outs_page(request, form: OptOutForm, status: int = 200):
    page = paginate(
        selectors.opt_out_list(user=request.user),
        request.GET.get("page"),
        per_page=settings.CARELOOP_PAGE_SIZE,
        count_cap=COUNT_CAP,
    )
    return render(request, "messaging/opt_outs.html", {"page": page, "form": form}, status=status)


@login_required
def opt_outs(request):
    """Who opted out of marketing messages (回复 T 退订, or told an agent), in the user's scope."""
    return _opt_outs_page(request, OptOutForm())


@login_required
@require_POST
def opt_out_add(request):
    form = OptOutForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            customer = customer_by_phone(request.user, data["phone"])
            created = services.message_opt_out_record(
                actor=request.user, customer=customer, channel=data["channel"], note=data["note"]
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            text = _("已登记 %(name)s 退订营销消息") if created else _("%(name)s 已在退订名单中")
            messages.success(request, text % {"name": customer.display_name})
            return redirect("messaging:opt_outs")
    return _opt_outs_page(request, form, status=400)


@login_required
@require_POST
def opt_out_remove(request, opt_out_id: int):
    try:
        opt_out = selectors.opt_out_for(request.user, opt_out_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        services.message_opt_out_remove(actor=request.user, opt_out=opt_out)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("已恢复 %(name)s 的营销消息") % {"name": opt_out.customer.display_name}
        )
    return redirect("messaging:opt_outs")
