"""Segments page: the latest counts (each a link to the filtered customer list), the runs with
their progress, and a supervisor's "compute now" button; the saved segments (list, live counts,
create from the customer list's filters, edit, delete)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.core.errors import DomainError, NotFound
from careloop.core.pagination import COUNT_CAP, paginate
from careloop.customers.forms import CustomerFilterForm
from careloop.customers.models import Customer
from careloop.customers.views import filter_context
from careloop.segments import selectors, services
from careloop.segments.forms import SavedSegmentForm, TransitionForm
from careloop.segments.models import SavedSegment, SegmentRun


def _require_supervisor(user) -> None:
    if not (user.is_admin or user.is_supervisor):
        raise PermissionDenied


def _links(counts: dict, field: str, labels: dict, spend: dict | None = None) -> list[dict]:
    base = reverse("customers:list")
    spend = spend or {}
    return [
        {
            "label": labels.get(key, key),
            "n": n,
            "spend": spend.get(key, 0),
            "url": f"{base}?{urlencode({field: key})}",
        }
        for key, n in counts.items()
    ]


@login_required
def segment_overview(request):
    _require_supervisor(request.user)
    runs = list(selectors.segment_runs(limit=10))
    last = next((r for r in runs if r.status == SegmentRun.Status.DONE), None)
    groups = []
    if last:
        counts = selectors.segment_counts(user=request.user)
        spend = selectors.segment_spend(user=request.user)
        groups = [
            (
                _("生命周期"),
                _links(
                    counts.get("lifecycle", {}),
                    "lifecycle",
                    dict(Customer.Lifecycle.choices),
                    spend.get("lifecycle"),
                ),
            ),
            (
                _("价值等级"),
                _links(
                    counts.get("tier", {}),
                    "tier",
                    {"A": "A", "B": "B", "C": "C", "none": "—"},
                    spend.get("tier"),
                ),
            ),
            (
                _("价值类别"),
                _links(
                    counts.get("value_class", {}),
                    "value_class",
                    dict(Customer.ValueClass.choices) | {"none": "—"},
                    spend.get("value_class"),
                ),
            ),
        ]
    charts = {}
    if last:
        charts = {
            "groups": [
                {
                    "title": str(title),
                    "labels": [i["label"] for i in items],
                    "values": [i["n"] for i in items],
                    "urls": [i["url"] for i in items],
                }
                for title, items in groups
            ],
            "rfm": selectors.rfm_grid(user=request.user),
            "rfm_title": _("RFM 分布(R 最近一次 × F 频次,颜色为客户数)"),
        }
    return render(
        request,
        "segments/overview.html",
        {"runs": runs, "last": last, "groups": groups, "charts": charts, **_transitions(request)},
    )


def _transitions(request) -> dict:
    """Lifecycle moves between two snapshot dates (default: the two latest), as a from × to
    matrix whose cells open the customers who made that move."""
    dates = selectors.snapshot_dates()
    if len(dates) < 2:
        return {"snapshot_dates": dates}
    form = TransitionForm(request.GET or None, dates=dates)
    since, until = (
        (form.cleaned_data["since"], form.cleaned_data["until"])
        if form.is_valid()
        else (dates[1], dates[0])
    )
    cells = {
        (t["from"], t["to"]): t["n"]
        for t in selectors.segment_transitions(since=since, until=until, user=request.user)
    }
    stages = Customer.Lifecycle.choices
    base = reverse("customers:list")
    matrix = [
        {
            "label": label,
            "cells": [
                {
                    "n": cells.get((before, after), 0),
                    "url": f"{base}?"
                    + urlencode(
                        {"moved_from": before, "moved_to": after, "since": since, "until": until}
                    ),
                }
                for after, _label in stages
            ],
        }
        for before, label in stages
    ]
    return {
        "snapshot_dates": dates,
        "since": since,
        "until": until,
        "stages": stages,
        "matrix": matrix,
    }


@login_required
@require_POST
def run_start(request):
    _require_supervisor(request.user)
    run = services.segment_run_start(started_by=request.user)
    return redirect("segments:run", run_id=run.pk)


@login_required
def run_detail(request, run_id: int):
    _require_supervisor(request.user)
    run = get_object_or_404(SegmentRun, pk=run_id)
    partial = "#status" if request.headers.get("HX-Request") else ""
    return render(request, f"segments/run.html{partial}", {"run": run})


# Saved segments (保存的分群) --------------------------------------------------------------


def _count_text(n: int) -> str:
    if n > COUNT_CAP:
        return _("超过 %(n)s 位客户") % {"n": intcomma(COUNT_CAP)}
    return _("当前 %(n)s 位客户") % {"n": intcomma(n)}


@login_required
def saved_list(request):
    """Every saved segment the user may see, its filters in words; each row loads its live
    count with htmx, so the page costs the same queries for 3 segments or 50."""
    page = paginate(selectors.saved_segments(user=request.user), request.GET.get("page"), 50)
    segments = selectors.saved_segments_describe(list(page.object_list))
    for segment in segments:
        segment.editable = segment.is_editable_by(request.user)
    return render(request, "segments/saved.html", {"page": page, "segments": segments})


@login_required
def saved_count(request, segment_id: int):
    """htmx: "当前 1,234 位客户" for one saved segment, within the user's scope."""
    segment = _saved(request, segment_id)
    n = selectors.saved_segment_count(segment=segment, user=request.user)
    return HttpResponse(_count_text(n))


@login_required
def saved_preview_count(request):
    """htmx: the live count of the filters being edited (not saved yet), counted exactly as
    the saved segment will count them; `segment` names the one being edited (its team)."""
    form = CustomerFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(_("筛选条件有误"))
    draft = SavedSegment(filters=form.saved_filters())
    if form.cleaned_data.get("segment"):
        draft.team_id = _saved(request, form.cleaned_data["segment"]).team_id
    n = selectors.saved_segment_count(segment=draft, user=request.user)
    return HttpResponse(_count_text(n))


def _saved(request, segment_id: int) -> SavedSegment:
    try:
        return selectors.saved_segment_for(request.user, segment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _segment_form_page(request, segment: SavedSegment | None):
    """Create (prefilled from the customer list's query string) or edit a saved segment."""
    _require_supervisor(request.user)
    data = request.POST if request.method == "POST" else None
    initial = {"name": segment.name, "description": segment.description} if segment else {}
    form = SavedSegmentForm(data, initial=initial)
    if segment is not None and data is None:
        filter_form = CustomerFilterForm(_as_query(segment.filters))
    else:
        filter_form = CustomerFilterForm(data if data is not None else request.GET)
    errors: list[str] = []
    if data is not None:
        if not filter_form.is_valid():
            errors += [
                f"{filter_form[k].label}:{e}" for k, v in filter_form.errors.items() for e in v
            ]
        elif form.is_valid():
            fields = {
                "name": form.cleaned_data["name"],
                "description": form.cleaned_data["description"],
                "filters": filter_form.saved_filters(),
            }
            try:
                if segment is None:
                    saved = services.saved_segment_create(actor=request.user, **fields)
                    messages.success(request, _("已保存分群 %(name)s") % {"name": saved.name})
                else:
                    saved = services.saved_segment_update(
                        actor=request.user, segment=segment, **fields
                    )
                    messages.success(request, _("已修改分群 %(name)s") % {"name": saved.name})
                return redirect("segments:saved")
            except DomainError as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    errors.append(exc.message)
    context = {
        "form": form,
        "segment": segment,
        "errors": errors,
        **filter_context(request.user, filter_form.filters()),
    }
    return render(request, "segments/saved_form.html", context)


def _as_query(filters: dict) -> QueryDict:
    """Stored filters as the query string the filter form reads (do_not_contact as yes/no)."""
    query = QueryDict(mutable=True)
    for key, value in filters.items():
        if key == "do_not_contact":
            value = "yes" if value else "no"
        query[key] = str(value)
    return query


@login_required
def saved_new(request):
    return _segment_form_page(request, None)


@login_required
def saved_edit(request, segment_id: int):
    segment = _saved(request, segment_id)
    if not segment.is_editable_by(request.user):
        raise PermissionDenied
    return _segment_form_page(request, segment)


@login_required
@require_POST
def saved_delete(request, segment_id: int):
    segment = _saved(request, segment_id)
    try:
        services.saved_segment_delete(actor=request.user, segment=segment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除分群 %(name)s") % {"name": segment.name})
    return redirect("segments:saved")
