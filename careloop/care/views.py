"""Care pages: the rules (edit with a live preview, version history), the plan of a day (by
purpose, priority and team, agent load, SLA at risk, suppressed candidates, "run now"), the
task list with bulk reassignment, agent settings, and the customer 360's "今日关怀" panel.
Thin: every read is a selector, every write a service."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.care import page_selectors as pages
from careloop.care import page_services, services
from careloop.care.forms import (
    AgentProfileForm,
    PlanDateForm,
    ReassignForm,
    RuleForm,
    SuppressionFilterForm,
    TaskFilterForm,
)
from careloop.care.selectors import care_rules
from careloop.core import clock
from careloop.core.errors import DomainError, NotFound
from careloop.core.pagination import COUNT_CAP, paginate
from careloop.customers import selectors as customer_selectors

PREVIEW_SAMPLE = 10
HISTORY_PAGE = 30
PLAN_AGENTS = 20  # the plan page lists the most loaded agents; the agents page has them all
STATUS_POLLS = 300  # the plan page asks about a started run every 2 s for up to 10 minutes


def _require_planner(user) -> None:
    if not pages.may_plan(user):
        raise PermissionDenied


def _rule(rule_id: int):
    try:
        return pages.care_rule_for(rule_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


# --- rules -----------------------------------------------------------------------------------


@login_required
def rule_list(request):
    _require_planner(request.user)
    rows = pages.rule_rows(list(care_rules()))
    return render(request, "care/rules.html", {"rows": rows})


@login_required
def rule_edit(request, rule_id: int):
    _require_planner(request.user)
    rule = _rule(rule_id)
    form = RuleForm(
        request.POST if request.method == "POST" else None, rule=rule, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.care_rule_update(
                rule=rule, user=request.user, **form.fields_for_service()
            )
        except DomainError as exc:
            form.add_domain_error(exc.field, exc.message)
        else:
            if saved.version == rule.version:
                messages.info(request, _("没有修改,规则保持第 %(v)s 版") % {"v": saved.version})
            else:
                messages.success(
                    request,
                    _("已保存 %(name)s,当前为第 %(v)s 版")
                    % {"name": saved.name, "v": saved.version},
                )
            return redirect("care:rule_history", rule_id=rule.pk)
    return render(
        request,
        "care/rule_form.html",
        {"rule": rule, "form": form, "purpose": form.purpose, "today": clock.today()},
    )


@login_required
@require_POST
def rule_preview(request, rule_id: int):
    """htmx: how many tasks the rule as edited (not saved) would create today on its own, with
    a sample of customers (masked phones). A dry run: nothing is written."""
    _require_planner(request.user)
    rule = _rule(rule_id)
    form = RuleForm(request.POST, rule=rule, user=request.user)
    context: dict = {"rule": rule}
    if not form.is_valid():
        context["errors"] = [
            f"{form[name].label}:{error}" if name in form.fields else error
            for name, errors in form.errors.items()
            for error in errors
        ]
        return render(request, "care/rule_form.html#preview", context)
    try:
        draft = services.care_rule_draft(rule=rule, **form.fields_for_service())
        preview = pages.rule_preview(
            draft=draft, user=request.user, as_of=clock.today(), sample=PREVIEW_SAMPLE
        )
    except DomainError as exc:
        context["errors"] = [exc.message]
    else:
        context |= {"preview": preview, "enabled": draft.enabled}
    return render(request, "care/rule_form.html#preview", context)


@login_required
def rule_history(request, rule_id: int):
    _require_planner(request.user)
    rule = _rule(rule_id)
    page = paginate(pages.rule_versions(rule), request.GET.get("page"), per_page=HISTORY_PAGE)
    context = {"rule": rule, "label": pages.purpose_label(rule.purpose), "page": page}
    return render(request, "care/rule_history.html", context)


# --- the plan --------------------------------------------------------------------------------


def _plan_date(request) -> date:
    form = PlanDateForm(request.GET or None)
    if form.is_valid() and form.cleaned_data.get("date"):
        return form.cleaned_data["date"]
    return clock.today()


@login_required
def plan(request):
    _require_planner(request.user)
    as_of = _plan_date(request)
    overview = pages.plan_overview(user=request.user, as_of=as_of)
    context = {
        "as_of": as_of,
        "is_today": as_of == clock.today(),
        "overview": overview,
        "loads": pages.agent_loads(
            agents=pages.agent_load_queryset(request.user).order_by("-n_open", "username")[
                :PLAN_AGENTS
            ]
        ),
        "sla": pages.sla_at_risk(user=request.user),
        "sla_tasks": _flag_overdue(pages.sla_tasks(user=request.user)),
        "run": pages.latest_run(as_of=as_of),
        "priorities": [label for _value, label in pages.Priority.choices],
        "after": request.GET["after"] if request.GET.get("after", "").isdigit() else "",
        **_suppression_context(request, as_of),
    }
    return render(request, "care/plan.html", context)


def _suppression_context(request, as_of: date) -> dict:
    form = SuppressionFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    page = paginate(
        pages.suppression_list(
            user=request.user,
            as_of=as_of,
            reason_code=data.get("reason_code", ""),
            purpose=data.get("purpose", ""),
        ),
        request.GET.get("page"),
        per_page=settings.CARELOOP_PAGE_SIZE,
        count_cap=COUNT_CAP,
    )
    for entry in page.object_list:
        entry.purpose_label = pages.purpose_label(entry.purpose)
        entry.reason_label = pages.REASON_LABELS.get(entry.reason_code, entry.reason_code)
    query = {"date": as_of.isoformat()} | {k: v for k, v in data.items() if v}
    return {"sup_form": form, "sup_page": page, "sup_query": urlencode(query)}


@login_required
def plan_suppressions(request):
    """htmx: the suppressed list filtered (reason, purpose) or paged."""
    _require_planner(request.user)
    as_of = _plan_date(request)
    return render(
        request,
        "care/plan.html#suppressions",
        {"as_of": as_of, **_suppression_context(request, as_of)},
    )


@login_required
@require_POST
def plan_run(request):
    """Run the plan for the chosen day in the worker; the page then polls for the result."""
    _require_planner(request.user)
    form = PlanDateForm(request.POST)
    as_of = (form.is_valid() and form.cleaned_data.get("date")) or clock.today()
    last = pages.last_run_id()
    try:
        page_services.plan_run_start(user=request.user, as_of=as_of)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("已开始生成 %(d)s 的计划") % {"d": as_of.isoformat()})
    query = urlencode({"date": as_of.isoformat(), "after": last})
    return redirect(f"{reverse('care:plan')}?{query}")


@login_required
def plan_status(request):
    """htmx: the result of the run started after run id `after`, or "正在生成…" (polled)."""
    _require_planner(request.user)
    as_of = _plan_date(request)
    after = int(request.GET["after"]) if request.GET.get("after", "").isdigit() else 0
    run = pages.manual_run_after(as_of=as_of, after=after)
    tries = int(request.GET["tries"]) + 1 if request.GET.get("tries", "").isdigit() else 1
    context = {
        "as_of": as_of,
        "after": str(after),
        "new_run": run,
        "tries": tries,
        "gave_up": run is None and tries > STATUS_POLLS,
    }
    return render(request, "care/plan.html#run_status", context)


def _flag_overdue(tasks):
    now = clock.now()
    for task in tasks:
        task.is_overdue = task.is_open and task.due_at < now
    return tasks


# --- tasks -----------------------------------------------------------------------------------


@login_required
def task_list(request):
    user = request.user
    agents = list(pages.agents_in_scope(user)) if pages.may_plan(user) else []
    teams = list(pages.teams_in_scope(user)) if user.is_admin else []
    form = TaskFilterForm(request.GET or None, agents=agents, teams=teams)
    data = form.cleaned_data if form.is_valid() else {}
    overdue = {"yes": True, "no": False}.get(data.get("overdue", ""))
    filters = pages.TaskPageFilters(
        status=data.get("status", ""),
        purpose=data.get("purpose", ""),
        priority=data.get("priority", ""),
        assignee=data.get("assignee", ""),
        plan_date=data.get("plan_date"),
        overdue=overdue,
        team=int(data["team"]) if data.get("team") else None,
        due_on=data.get("due_on"),
    )
    page = paginate(
        pages.task_page_list(user=user, filters=filters),
        request.GET.get("page"),
        per_page=settings.CARELOOP_PAGE_SIZE,
        count_cap=COUNT_CAP,
    )
    _flag_overdue(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "care/tasks.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_reassign": pages.may_plan(user),
            "agents": agents,
            "reassign_form": ReassignForm(agents=agents),
        },
    )


@login_required
@require_POST
def task_reassign(request):
    _require_planner(request.user)
    agents = list(pages.agents_in_scope(request.user))
    form = ReassignForm(request.POST, agents=agents)
    back = f"{reverse('care:tasks')}?{request.POST.get('back', '')}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    target = form.target()
    try:
        moved = services.callback_tasks_reassign(
            tasks=form.cleaned_data["tasks"], assignee=target, user=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        to = str(target) if target else _("团队任务池")
        messages.success(request, _("已将 %(n)s 个任务分配给 %(to)s") % {"n": moved, "to": to})
    return redirect(back)


# --- agents ----------------------------------------------------------------------------------


@login_required
def agent_list(request):
    _require_planner(request.user)
    page = paginate(pages.agent_load_queryset(request.user), request.GET.get("page"), 50)
    loads = pages.agent_loads(agents=page.object_list)
    for load in loads:
        load.form = AgentProfileForm(
            initial={
                "capacity": load.capacity,
                "regions": "、".join(load.regions),
                "skills": "、".join(load.skills),
                "accepts_tasks": load.accepts,
            },
            prefix=f"a{load.agent.pk}",
        )
    return render(request, "care/agents.html", {"loads": loads, "page": page})


@login_required
@require_POST
def agent_edit(request, user_id: int):
    _require_planner(request.user)
    agent = get_object_or_404(pages.agents_in_scope(request.user), pk=user_id)
    form = AgentProfileForm(request.POST, prefix=f"a{agent.pk}")
    if form.is_valid():
        try:
            page_services.agent_profile_update(agent=agent, user=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, f"{agent}:{exc.message}")
        else:
            messages.success(request, _("已保存 %(name)s 的设置") % {"name": agent})
    else:
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                messages.error(request, f"{agent} · {label}:{error}")
    return redirect("care:agents")


# --- customer 360 ----------------------------------------------------------------------------


@login_required
def customer_today(request, customer_id: int):
    """htmx: why the customer got or did not get a task today (the 360 page's panel)."""
    try:
        customer = customer_selectors.customer_for(request.user, customer_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    today = pages.customer_today(customer=customer, as_of=clock.today())
    return render(
        request,
        "care/customer_today.html",
        {
            "customer": customer,
            "found": today.found,
            "decided": today.decided,
            "not_candidates": today.not_candidates,
        },
    )
