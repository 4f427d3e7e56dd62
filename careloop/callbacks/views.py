"""Pages of the agent workspace: the queue (今日回访), the task screen with the callback record,
screen pop, scripts, follow-up tickets, leads, suggestions, team queue and quality checks.
Thin: parse, call one selector or service, render."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.models import User
from careloop.callbacks import selectors, services
from careloop.callbacks.forms import (
    QualityReviewForm,
    QueueFilterForm,
    RecordForm,
    ScriptForm,
    SuggestionReviewForm,
    TicketResolveForm,
    VisitPlanForm,
)
from careloop.callbacks.models import CallScript, SalesLead, Suggestion
from careloop.care.purposes import precedence_of
from careloop.care.services import callback_tasks_reassign
from careloop.core import clock
from careloop.core.errors import DomainError, NotFound
from careloop.core.pagination import paginate

PER_PAGE = 25
SOON = timedelta(hours=2)  # the queue marks tasks due within this as 即将到期


def _require_supervisor(user) -> None:
    if not (user.is_admin or user.is_supervisor):
        raise PermissionDenied


def _task(request, task_id: int):
    try:
        return selectors.callback_task_for(request.user, task_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _form_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


# --- the queue --------------------------------------------------------------------------------


@login_required
def queue(request):
    form = QueueFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    filters = selectors.QueueFilters(
        purpose=data.get("purpose") or "",
        method=data.get("method") or "",
        overdue=bool(data.get("overdue")),
        pool=bool(data.get("pool")),
        later=bool(data.get("later")),
    )
    page = paginate(
        selectors.callback_task_queue(agent=request.user, filters=filters),
        request.GET.get("page"),
        per_page=PER_PAGE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "tasks": page.object_list,
        "counts": selectors.queue_counts(request.user),
        "now": clock.now(),
        "soon": clock.now() + SOON,
        "query": query.urlencode(),
        "pool": filters.pool,
    }
    if request.headers.get("HX-Request"):
        return render(request, "callbacks/queue.html#results", context)
    return render(request, "callbacks/queue.html", context)


@login_required
@require_POST
def claim_next(request):
    task = services.callback_task_claim_next(agent=request.user)
    if task is None:
        messages.info(request, _("队列里没有待处理的任务了"))
        return redirect("callbacks:queue")
    return redirect("callbacks:task", task_id=task.pk)


# --- the task screen -------------------------------------------------------------------------


def _task_context(request, task, form=None, visit_form=None) -> dict:
    plan = getattr(task, "visit_plan", None) if task.method == "visit" else None
    return {
        "task": task,
        "customer": task.customer,
        "form": form or RecordForm(initial={"method": task.method}),
        "visit_form": visit_form
        or (
            VisitPlanForm(initial={"people": plan.people, "agenda": plan.agenda})
            if plan
            else VisitPlanForm()
        ),
        "visit_plan": plan,
        "now": clock.now(),
        "mine": task.assignee_id == request.user.pk and task.is_open,
        **selectors.task_screen(task, request.user),
    }


@login_required
def task_detail(request, task_id: int):
    task = _task(request, task_id)
    return render(request, "callbacks/task.html", _task_context(request, task))


@login_required
@require_POST
def task_claim(request, task_id: int):
    task = _task(request, task_id)
    try:
        services.callback_task_claim(task=task, agent=request.user)
        messages.success(request, _("已领取任务"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("callbacks:task", task_id=task.pk)


@login_required
@require_POST
def task_record(request, task_id: int):
    """One-click save (htmx): the saved record, or the form with what was typed and the error
    next to the field it names."""
    task = _task(request, task_id)
    form = RecordForm(request.POST)
    record = None
    if form.is_valid():
        try:
            record = services.callback_task_complete(
                task=task, agent=request.user, **form.service_kwargs()
            )
        except DomainError as exc:
            _form_error(form, exc)
    htmx = bool(request.headers.get("HX-Request"))
    if record is not None:
        if not htmx:
            messages.success(request, _("已保存回访记录"))
            return redirect("callbacks:task", task_id=task.pk)
        task.refresh_from_db()
        context = {"task": task, "record": record, "items": list(record.items.all())}
        return render(request, "callbacks/task.html#record_saved", context)
    if not htmx:  # no JavaScript: the whole screen, the form as typed
        return render(
            request, "callbacks/task.html", _task_context(request, task, form), status=400
        )
    return render(
        request, "callbacks/task.html#record_form", {"task": task, "form": form, "mine": True}
    )


@login_required
@require_POST
def visit_plan(request, task_id: int):
    task = _task(request, task_id)
    form = VisitPlanForm(request.POST)
    if form.is_valid():
        try:
            services.visit_plan_save(task=task, user=request.user, **form.cleaned_data)
            messages.success(request, _("上门计划已保存,预约通知已安排"))
            return redirect("callbacks:task", task_id=task.pk)
        except DomainError as exc:
            _form_error(form, exc)
    return render(
        request, "callbacks/task.html", _task_context(request, task, visit_form=form), status=400
    )


# --- screen pop --------------------------------------------------------------------------------


@login_required
def pop(request):
    phone = (request.GET.get("phone") or "").strip()
    context: dict = {"phone": phone}
    if phone:
        try:
            context.update(selectors.screen_pop(request.user, phone))
        except DomainError as exc:
            context["error"] = exc.message
    return render(request, "callbacks/pop.html", context)


# --- scripts -------------------------------------------------------------------------------------


@login_required
def scripts(request):
    _require_supervisor(request.user)
    rows = sorted(
        CallScript.objects.select_related("updated_by"),
        key=lambda s: (precedence_of(s.purpose), s.value_class),
    )
    return render(request, "callbacks/scripts.html", {"scripts": rows})


@login_required
def script_edit(request, script_id: int | None = None):
    _require_supervisor(request.user)
    script = None
    if script_id is not None:
        script = CallScript.objects.filter(pk=script_id).first()
        if script is None:
            raise Http404(_("话术不存在"))
    if request.method == "POST":
        form = ScriptForm(request.POST, script=script)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if script is not None:
                data.pop("purpose", None)
                data.pop("value_class", None)
            try:
                saved = services.call_script_save(user=request.user, script=script, **data)
                messages.success(request, _("话术已保存(第 %(v)s 版)") % {"v": saved.version})
                return redirect("callbacks:scripts")
            except DomainError as exc:
                _form_error(form, exc)
    else:
        initial = (
            script.snapshot() | {"purpose": script.purpose, "value_class": script.value_class}
            if script
            else {}
        )
        form = ScriptForm(initial=initial, script=script)
    versions = list(script.versions.select_related("changed_by")[:10]) if script else []
    return render(
        request,
        "callbacks/script_form.html",
        {"form": form, "script": script, "versions": versions},
    )


# --- closing the loop ------------------------------------------------------------------------


@login_required
def tickets(request):
    status = request.GET.get("status", "open")
    status = "" if status == "all" else status  # "all" and "" both mean every ticket
    if status not in ("open", "resolved", ""):
        status = "open"
    page = paginate(
        selectors.tickets_visible(request.user, status=status), request.GET.get("page"), PER_PAGE
    )
    return render(
        request,
        "callbacks/tickets.html",
        {
            "resolvable": selectors.departments_resolvable_by(request.user),
            "page": page,
            "tickets": page.object_list,
            "status": status,
            "now": clock.now(),
            "form": TicketResolveForm(),
        },
    )


@login_required
@require_POST
def ticket_resolve(request, ticket_id: int):
    try:
        ticket = selectors.ticket_for(request.user, ticket_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = TicketResolveForm(request.POST)
    if form.is_valid():
        try:
            services.followup_ticket_resolve(
                ticket=ticket, user=request.user, resolution=form.cleaned_data["resolution"]
            )
            messages.success(
                request, _("工单 %(no)s 已处理,已通知坐席回访客户") % {"no": ticket.number}
            )
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, form.errors["resolution"][0])
    return redirect(reverse("callbacks:tickets"))


@login_required
def suggestions(request):
    _require_supervisor(request.user)
    status = request.GET.get("status", "")
    if status not in Suggestion.Status.values:
        status = ""
    month = None
    if request.GET.get("month"):
        try:
            month = date.fromisoformat(request.GET["month"] + "-01")
        except ValueError:
            month = None
    page = paginate(
        selectors.suggestions_board(user=request.user, status=status, month=month),
        request.GET.get("page"),
        PER_PAGE,
    )
    return render(
        request,
        "callbacks/suggestions.html",
        {
            "page": page,
            "suggestions": page.object_list,
            "status": status,
            "statuses": Suggestion.Status.choices,
            "month": request.GET.get("month", ""),
        },
    )


@login_required
@require_POST
def suggestion_review(request, suggestion_id: int):
    _require_supervisor(request.user)
    suggestion = selectors.suggestions_board(user=request.user).filter(pk=suggestion_id).first()
    if suggestion is None:
        raise Http404
    form = SuggestionReviewForm(request.POST)
    if form.is_valid():
        try:
            services.suggestion_review(
                suggestion=suggestion,
                user=request.user,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["review_note"],
            )
            messages.success(request, _("建议状态已更新"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("请选择建议状态"))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("callbacks:suggestions")  # never off-site
    return redirect(back)


@login_required
def leads(request):
    status = request.GET.get("status", "")
    if status not in SalesLead.Status.values:
        status = ""
    page = paginate(
        selectors.sales_leads(request.user, status=status), request.GET.get("page"), PER_PAGE
    )
    return render(
        request,
        "callbacks/leads.html",
        {
            "page": page,
            "leads": page.object_list,
            "status": status,
            "statuses": SalesLead.Status.choices,
        },
    )


@login_required
@require_POST
def lead_update(request, lead_id: int):
    lead = selectors.sales_leads(request.user).filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    try:
        services.sales_lead_update(
            lead=lead, user=request.user, status=request.POST.get("status", "")
        )
        messages.success(request, _("线索状态已更新"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("callbacks:leads")


# --- supervisors ------------------------------------------------------------------------------


@login_required
def team(request):
    _require_supervisor(request.user)
    assignee = request.GET.get("assignee", "")
    page = paginate(
        selectors.team_queue(request.user, assignee=assignee), request.GET.get("page"), 50
    )
    load = selectors.team_load(request.user)
    agents = list(
        User.objects.filter(is_active=True, role=User.Role.AGENT)
        .filter(**({} if request.user.is_admin else {"team_id": request.user.team_id}))
        .order_by("username")
    )
    return render(
        request,
        "callbacks/team.html",
        {
            "page": page,
            "tasks": page.object_list,
            "agents": agents,
            "assignee": assignee,
            "load": load,
            "now": clock.now(),
        },
    )


@login_required
@require_POST
def team_reassign(request):
    _require_supervisor(request.user)
    ids = [int(v) for v in request.POST.getlist("tasks") if v.isdigit()]
    username = request.POST.get("assignee", "")
    target = None
    if username and username != "-":
        target = User.objects.filter(username=username).first()
        if target is None:
            messages.error(request, _("请选择要分配给的坐席"))
            return redirect("callbacks:team")
    try:
        moved = callback_tasks_reassign(tasks=ids, assignee=target, user=request.user)
        messages.success(request, _("已重新分配 %(n)s 个任务") % {"n": moved})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("callbacks:team")


@login_required
def quality(request):
    _require_supervisor(request.user)
    records = list(selectors.quality_sample(request.user))
    return render(
        request, "callbacks/quality.html", {"records": records, "form": QualityReviewForm()}
    )


@login_required
@require_POST
def quality_review(request, record_id: int):
    _require_supervisor(request.user)
    try:
        record = selectors.record_for(request.user, record_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = QualityReviewForm(request.POST)
    if form.is_valid():
        try:
            services.quality_review_save(
                record=record,
                reviewer=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("质检结果已保存"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        first = next(iter(form.errors.values()))[0]
        messages.error(request, first)
    return redirect("callbacks:quality")
