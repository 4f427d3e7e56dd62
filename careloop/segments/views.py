"""Segments page: the latest counts (each a link to the filtered customer list), the runs with
their progress, and a supervisor's "compute now" button."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.customers.models import Customer
from careloop.segments import selectors, services
from careloop.segments.forms import TransitionForm
from careloop.segments.models import SegmentRun


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
