"""Import pages: upload → preview (detected mapping, first rows) → dry run or import → progress."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from careloop.core.errors import DomainError, NotFound
from careloop.core.pagination import paginate
from careloop.imports import services
from careloop.imports.forms import UploadForm


def supervisor_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_admin or request.user.is_supervisor):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _job(request, job_id: int):
    try:
        return services.import_job_for(request.user, job_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@supervisor_required
def import_list(request):
    page = paginate(services.import_job_list(user=request.user), request.GET.get("page"))
    return render(request, "imports/list.html", {"page": page, "form": UploadForm()})


@supervisor_required
def import_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("imports:preview", job_id=job.pk)
    return render(request, "imports/upload.html", {"form": form})


@supervisor_required
def import_preview(request, job_id: int):
    job = _job(request, job_id)
    try:
        preview = services.import_preview(kind=job.kind, path=job.file)
        problem = ""
    except DomainError as exc:
        preview, problem = None, exc.message
    return render(
        request, "imports/preview.html", {"job": job, "preview": preview, "problem": problem}
    )


@require_POST
@supervisor_required
def import_run(request, job_id: int):
    job = _job(request, job_id)
    job = services.import_job_start(
        actor=request.user, job=job, dry_run=request.POST.get("mode") == "dry"
    )
    return redirect("imports:job", job_id=job.pk)


@supervisor_required
def import_job(request, job_id: int):
    job = _job(request, job_id)
    processed, total = services.import_job_progress(job)
    percent = job.progress_percent if job.status != job.Status.RUNNING or not total else None
    if percent is None:
        percent = min(99, int(processed * 100 / total))
    context = {"job": job, "processed": processed, "total": total, "percent": percent}
    if request.headers.get("HX-Request"):
        return render(request, "imports/job.html#status", context)
    return render(request, "imports/job.html", context)
