"""The messages page: what was scheduled, sent or suppressed (and why), in the user's scope."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from careloop.core.pagination import COUNT_CAP, paginate
from careloop.messaging import selectors
from careloop.messaging.forms import MessageFilterForm
from careloop.messaging.models import ScheduledMessage


@login_required
def message_list(request):
    form = MessageFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.MessageFilters(
        status=data.get("status", ""),
        purpose=data.get("purpose", ""),
        channel=data.get("channel", ""),
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
    base = {"purpose": filters.purpose, "channel": filters.channel}
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
