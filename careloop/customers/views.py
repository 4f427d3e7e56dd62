"""Customer pages: the searchable list, the 360 page, notes, tags, phone reveal, duplicates."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.selectors import audit_for_customer, users_visible_to
from careloop.core.errors import DomainError, NotFound
from careloop.core.pagination import COUNT_CAP, paginate
from careloop.customers import exports, selectors, services
from careloop.customers.forms import CustomerFilterForm, CustomerForm, MergeForm, NoteForm
from careloop.customers.models import Customer

TIMELINE_PAGE = 20


def _customer(request, customer_id: int):
    try:
        return selectors.customer_for(request.user, customer_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _require_supervisor(user) -> None:
    if not (user.is_admin or user.is_supervisor):
        raise PermissionDenied


@login_required
def customer_list(request):
    form = CustomerFilterForm(request.GET)
    filters = form.filters()
    page = paginate(
        selectors.customer_list(user=request.user, filters=filters),
        request.GET.get("page"),
        per_page=25,
        count_cap=COUNT_CAP,
    )
    customers = selectors.with_tags(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "customers": customers,
        "query": query.urlencode(),
        "sort_query": _without(request.GET, "sort", "page"),
        "rfm_sorts": [("r", "R"), ("f", "F"), ("m", "M")],
        **filter_context(request.user, filters),
        **_segment_context(request, form),
    }
    if request.headers.get("HX-Request"):
        return render(request, "customers/list.html#results", context)
    return render(request, "customers/list.html", context)


def filter_context(user, filters) -> dict:
    """What `customers/list_filters.html` needs (the list page and the saved-segment form)."""
    choices = selectors.filter_choices()
    return {
        "filters": filters,
        "choices": choices,
        "owners": users_visible_to(user),
        "teams": choices["teams"] if user.is_admin else [],
        "segment_choices": {
            "lifecycle": Customer.Lifecycle.choices,
            "tier": [("A", _("A 类")), ("B", _("B 类")), ("C", _("C 类")), ("none", _("无"))],
            "value_class": Customer.ValueClass.choices,
            "gender": [("M", _("男")), ("F", _("女")), ("none", _("未知"))],
        },
    }


def _segment_context(request, form: CustomerFilterForm) -> dict:
    """The applied saved segment (a chip that removes it) and the "保存为分群" link, which
    carries the segment's filters overlaid with the ones chosen on the page."""
    from careloop.segments import selectors as segment_selectors

    filters = form.filters()
    saved = {k: v for k, v in form.saved_filters().items() if v not in ("", None)}
    context = {"unsegment_query": _without(request.GET, "segment", "page")}
    if filters.segment:
        try:
            segment = segment_selectors.saved_segment_for(request.user, filters.segment)
        except NotFound:
            context["segment_missing"] = True
        else:
            segment_selectors.saved_segments_describe([segment])
            context["segment"] = segment
            saved = {**segment.filters, **saved}
    if "do_not_contact" in saved:
        saved["do_not_contact"] = "yes" if saved["do_not_contact"] else "no"
    context["save_query"] = urlencode(saved)
    return context


def _without(params, *keys) -> str:
    query = params.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


def _timeline_context(customer, page_number) -> dict:
    page = paginate(selectors.customer_timeline(customer), page_number, per_page=TIMELINE_PAGE)
    entries = selectors.timeline_authors(list(page.object_list))
    return {"customer": customer, "timeline": page, "entries": entries}


@login_required
def customer_detail(request, customer_id: int):
    customer = _customer(request, customer_id)
    context = {
        "customer": customer,
        "tags": list(customer.tags.values_list("name", flat=True)),
        "summary": selectors.customer_order_summary(customer),
        "orders": list(customer.orders.all()[:10]),
        "complaints_open": customer.complaints.filter(status="open").count(),
        "note_form": NoteForm(),
        "audit": list(audit_for_customer(customer_id=customer.pk)[:10]),
        "may_see_phone": request.user.may_see_phones,
        **_timeline_context(customer, request.GET.get("page")),
    }
    return render(request, "customers/detail.html", context)


@login_required
def timeline(request, customer_id: int):
    customer = _customer(request, customer_id)
    return render(
        request,
        "customers/detail.html#timeline",
        _timeline_context(customer, request.GET.get("page")),
    )


@login_required
@require_POST
def note_add(request, customer_id: int):
    customer = _customer(request, customer_id)
    form = NoteForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.customer_note_add(
                actor=request.user, customer=customer, text=form.cleaned_data["text"]
            )
        except DomainError as exc:
            error = exc.message
    else:
        error = _("备注内容不能为空")
    context = _timeline_context(customer, 1) | {"note_error": error}
    if request.headers.get("HX-Request"):
        return render(request, "customers/detail.html#timeline", context)
    if error:
        messages.error(request, error)
    return redirect("customers:detail", customer_id=customer.pk)


@login_required
@require_POST
def tags_edit(request, customer_id: int):
    customer = _customer(request, customer_id)
    tags = services.customer_tags_set(
        actor=request.user, customer=customer, tags=request.POST.get("tags", "")
    )
    if request.headers.get("HX-Request"):
        return render(request, "customers/detail.html#tags", {"customer": customer, "tags": tags})
    return redirect("customers:detail", customer_id=customer.pk)


@login_required
@require_POST
def phone_reveal(request, customer_id: int):
    customer = _customer(request, customer_id)
    number = services.customer_phone_reveal(actor=request.user, customer=customer)
    return render(
        request,
        "customers/detail.html#phone",
        {"customer": customer, "revealed": number, "may_see_phone": False},
    )


@login_required
def duplicates(request):
    _require_supervisor(request.user)
    groups = selectors.duplicate_candidates(user=request.user)
    return render(request, "customers/duplicates.html", {"groups": groups})


@login_required
@require_POST
def merge(request):
    _require_supervisor(request.user)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择要保留的客户和要合并的客户"))
        return redirect("customers:duplicates")
    survivor = _customer(request, form.cleaned_data["survivor"])
    duplicate = _customer(request, form.cleaned_data["duplicate"])
    try:
        services.customer_merge(actor=request.user, survivor=survivor, duplicate=duplicate)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("customers:duplicates")
    messages.success(
        request, _("已将 %(dup)s 合并到 %(name)s") % {"dup": duplicate.name, "name": survivor.name}
    )
    return redirect("customers:detail", customer_id=survivor.pk)


@login_required
def customer_export(request):
    """The filtered list as CSV or XLSX; scoped, masked and audited like the page."""
    filters = CustomerFilterForm(request.GET).filters()
    fmt = request.GET.get("format", "csv")
    try:
        filename, body = exports.customer_export(actor=request.user, filters=filters, fmt=fmt)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('customers:list')}?{_without(request.GET, 'format')}")
    if fmt == "csv":
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            body,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _save_customer(request, form: CustomerForm, customer=None):
    """Create or update through the services; a refusal lands on the form field it names."""
    if not form.is_valid():
        return None
    try:
        if customer is None:
            return services.customer_create(actor=request.user, **form.cleaned_data)
        return services.customer_update(actor=request.user, customer=customer, **form.cleaned_data)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


@login_required
def customer_new(request):
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and (customer := _save_customer(request, form)):
        messages.success(request, _("已创建客户 %(name)s") % {"name": customer.name})
        return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": None})


@login_required
def customer_edit(request, customer_id: int):
    customer = _customer(request, customer_id)
    form = CustomerForm(
        request.POST or None, user=request.user, initial=CustomerForm.initial_for(customer)
    )
    if request.method == "POST" and _save_customer(request, form, customer):
        messages.success(request, _("资料已保存"))
        return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": customer})
