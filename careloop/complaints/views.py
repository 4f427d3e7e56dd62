"""Complaint pages: the list, intake, the ticket with each stage's form (htmx), the review."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.models import Team
from careloop.accounts.selectors import users_visible_to
from careloop.complaints import forms, selectors, services
from careloop.complaints import review as review_mod
from careloop.complaints.models import Complaint
from careloop.core.errors import DomainError, NotFound
from careloop.core.pagination import COUNT_CAP, paginate

# Filters the review page links with; the list keeps them while the user refines.
DRILLDOWN = (
    "category",
    "root_cause",
    "product",
    "month",
    "repeat",
    "reopened",
    "breached",
    "converted",
    "department",
    "since",
    "until",
)


def _complaint(request, complaint_id: int) -> Complaint:
    try:
        return selectors.complaint_for(request.user, complaint_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _teams(user) -> list[Team]:
    if user.is_admin:
        return list(Team.objects.order_by("name"))
    return [user.team] if user.team_id else []


@login_required
def complaint_list(request):
    filters = forms.ComplaintFilterForm(request.GET).filters()
    if request.GET.get("mine"):
        filters = replace(filters, escalated_to=request.user.pk)
    page = paginate(
        selectors.complaint_list(user=request.user, filters=filters),
        request.GET.get("page"),
        per_page=25,
        count_cap=COUNT_CAP,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "complaints": list(page.object_list),
        "filters": filters,
        "query": query.urlencode(),
        "teams": _teams(request.user),
        "carried": [(k, v) for k, v in request.GET.items() if k in DRILLDOWN and v],
        "status_choices": [
            *Complaint.Status.choices,
            *[c for c in Complaint.Stage.choices if c[0] not in Complaint.Status.values],
        ],
        "severity_choices": Complaint.Severity.choices,
        "now": services.clock.now(),
        "mine": bool(request.GET.get("mine")),
    }
    if request.headers.get("HX-Request"):
        return render(request, "complaints/list.html#results", context)
    return render(request, "complaints/list.html", context)


@login_required
def complaint_new(request):
    form = forms.ComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            complaint = services.complaint_create(actor=request.user, **data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已受理投诉 %(number)s") % {"number": complaint.number})
            if not Complaint.objects.visible_to(request.user).filter(pk=complaint.pk).exists():
                # the number belongs to a customer of another team: they handle it
                messages.info(request, _("该客户属于其他团队,投诉已转由该团队处理"))
                return redirect("complaints:list")
            return redirect("complaints:detail", complaint_id=complaint.pk)
    return render(request, "complaints/new.html", {"form": form})


def _ticket_context(request, complaint: Complaint, **extra) -> dict:
    owners = users_visible_to(request.user)
    return {
        "c": complaint,
        "timers": selectors.complaint_timers(complaint),
        "may_see_phone": request.user.may_see_phones,
        "respond_form": forms.NoteForm(),
        "diagnose_form": forms.DiagnoseForm(initial=_diagnose_initial(complaint)),
        "solution_form": forms.SolutionForm(
            initial={"solution_type": complaint.solution_type, "solution": complaint.solution}
        ),
        "step_form": forms.StepForm(owners=owners),
        "progress_form": forms.ProgressForm(),
        "confirm_form": forms.ConfirmForm(),
        "errors": {},
        **selectors.complaint_detail(complaint),
        **extra,
    }


def _diagnose_initial(c: Complaint) -> dict:
    return {
        "nature": c.nature,
        "what_happened": c.what_happened,
        "expected_outcome": c.expected_outcome,
        "reported_before": c.reported_before,
        "root_cause": c.root_cause,
        "root_cause_note": c.root_cause_note,
        "category": c.category,
        "department": c.department_id,
    }


@login_required
def attachment(request, complaint_id: int, attachment_id: int):
    """An attachment, only for users who may see the complaint (never a public media URL)."""
    complaint = _complaint(request, complaint_id)
    item = complaint.attachments.filter(pk=attachment_id).first()
    if item is None:
        raise Http404(_("附件不存在"))
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)


@login_required
def complaint_detail(request, complaint_id: int):
    complaint = _complaint(request, complaint_id)
    return render(request, "complaints/detail.html", _ticket_context(request, complaint))


def _act(
    request,
    complaint_id: int,
    name: str,
    action: Callable[[Complaint, dict], object],
    form_class=None,
    **form_kwargs,
):
    """Run one stage action: validate its form, call the service, answer with the ticket
    (an htmx partial, or a redirect). A refusal is shown next to that stage's form."""
    complaint = _complaint(request, complaint_id)
    form = form_class(request.POST, **form_kwargs) if form_class else None
    error = None
    if form is not None and not form.is_valid():
        field, errs = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        error = f"{label}:{errs[0]}" if label else errs[0]
    else:
        try:
            action(complaint, form.cleaned_data if form is not None else {})
        except DomainError as exc:
            error = exc.message
    complaint = _complaint(request, complaint_id)
    if request.headers.get("HX-Request"):
        context = _ticket_context(request, complaint, errors={name: error} if error else {})
        if form is not None and error:
            context[f"{name}_form"] = form
        return render(request, "complaints/detail.html#ticket", context)
    if error:
        messages.error(request, error)
    return redirect("complaints:detail", complaint_id=complaint.pk)


# Actions that take only a note: (service, the stage whose form shows a refusal).
NOTE_ACTIONS = {
    "respond": (services.complaint_respond, "respond"),
    "pause": (services.complaint_pause, "pause"),
    "resume": (services.complaint_resume, "pause"),
    "resolve": (services.complaint_resolve, "resolve"),
    "reopen": (services.complaint_reopen, "confirm"),
}


@login_required
@require_POST
def note_action(request, complaint_id: int, action: str):
    service, stage = NOTE_ACTIONS[action]
    return _act(
        request,
        complaint_id,
        stage,
        lambda c, d: service(complaint=c, user=request.user, note=d["note"]),
        forms.NoteForm,
    )


@login_required
@require_POST
def diagnose(request, complaint_id: int):
    return _act(
        request,
        complaint_id,
        "diagnose",
        lambda c, d: services.complaint_diagnose(complaint=c, user=request.user, **d),
        forms.DiagnoseForm,
    )


@login_required
@require_POST
def solution(request, complaint_id: int):
    def run(c, d):
        form = forms.SolutionForm(request.POST)
        form.is_valid()
        services.complaint_solution_set(
            complaint=c,
            user=request.user,
            solution_type=d["solution_type"],
            solution=d["solution"],
            options=form.cleaned_options(),
        )

    return _act(request, complaint_id, "solution", run, forms.SolutionForm)


@login_required
@require_POST
def option_choose(request, complaint_id: int):
    def run(c, d):
        try:
            option_id = int(request.POST.get("option", ""))
        except ValueError:
            raise DomainError(_("请选择该投诉的一个补偿选项"), field="option") from None
        services.complaint_option_choose(complaint=c, user=request.user, option_id=option_id)

    return _act(request, complaint_id, "option", run)


@login_required
@require_POST
def step_add(request, complaint_id: int):
    return _act(
        request,
        complaint_id,
        "step",
        lambda c, d: services.complaint_step_add(complaint=c, user=request.user, **d),
        forms.StepForm,
        owners=users_visible_to(request.user),
    )


@login_required
@require_POST
def step_done(request, complaint_id: int, step_id: int):
    def run(c, d):
        step = c.steps.filter(pk=step_id).first()
        if step is None:
            raise DomainError(_("步骤不存在"), field="step")
        services.complaint_step_done(step=step, user=request.user)

    return _act(request, complaint_id, "step", run)


@login_required
@require_POST
def progress(request, complaint_id: int):
    return _act(
        request,
        complaint_id,
        "progress",
        lambda c, d: services.complaint_progress_send(complaint=c, user=request.user, **d),
        forms.ProgressForm,
    )


@login_required
@require_POST
def confirm(request, complaint_id: int):
    return _act(
        request,
        complaint_id,
        "confirm",
        lambda c, d: services.complaint_resolution_confirm(
            complaint=c, user=request.user, satisfied=d["satisfied"], note=d["note"]
        ),
        forms.ConfirmForm,
    )


@login_required
def review(request):
    """复盘: attribution and SLA figures, every number a link to its tickets."""
    if not (request.user.is_admin or request.user.is_supervisor):
        raise PermissionDenied
    since, until = forms.ReviewForm(request.GET).period()
    form = forms.ReviewForm({"since": since, "until": until})  # show the period in the inputs
    report = review_mod.complaint_review(user=request.user, since=since, until=until)
    base = reverse("complaints:list") + "?" + urlencode({"since": since, "until": until})

    def link(**params) -> str:
        return f"{base}&{urlencode(params)}"

    for dimension, rows in report.by.items():
        for row in rows:
            row["url"] = link(**{dimension: row["key"]})
    charts = {
        name: {
            "labels": [r["label"] for r in report.by[name]],
            "values": [r["n"] for r in report.by[name]],
            "breached": [r["breached"] for r in report.by[name]],
            "urls": [r["url"] for r in report.by[name]],
        }
        for name in ("root_cause", "category", "month")
    }
    context = {
        "form": form,
        "since": since,
        "until": until,
        "report": report,
        "links": {
            "all": base,
            "breached": link(breached=1),
            "repeat": link(repeat=1),
            "reopened": link(reopened=1),
            "converted": link(converted=1),
        },
        "charts": charts,
        "tables": [
            (key, title, report.by[key])
            for key, title in (
                ("root_cause", _("根因维度(人/货/场)")),
                ("category", _("类别")),
                ("product", _("产品")),
                ("team", _("团队")),
                ("month", _("月份")),
            )
        ],
    }
    return render(request, "complaints/review.html", context)
