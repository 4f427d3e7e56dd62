"""/api/v1/imports: upload a file to import in the background, then poll the job.

Supervisors and admins only (agents get 403); a user sees their own jobs, an admin all.
"""

from __future__ import annotations

from typing import Literal

from django.db import transaction
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile

from careloop.core.api import LocalDateTime, Paged, PageIn, paged
from careloop.imports import services
from careloop.imports.models import ImportJob

router = Router(tags=["imports"])

Kind = Literal[tuple(ImportJob.Kind.values)]  # type: ignore[valid-type]


class RowErrorOut(Schema):
    row: int
    column: str
    value: str
    message: str


class ProgressOut(Schema):
    processed: int
    total: int
    percent: int


class ImportJobOut(Schema):
    id: int
    kind: str
    file_name: str
    status: str
    dry_run: bool
    skip_invalid: bool
    created_by: str | None
    progress: ProgressOut
    created: int
    updated: int
    unchanged: int
    skipped: int
    error_count: int
    errors: list[RowErrorOut]
    warnings: list[str]
    mapping: dict
    created_at: LocalDateTime
    started_at: LocalDateTime | None
    finished_at: LocalDateTime | None

    @staticmethod
    def resolve_file_name(job: ImportJob) -> str:
        return job.original_name

    @staticmethod
    def resolve_created_by(job: ImportJob) -> str | None:
        return job.created_by.username if job.created_by_id else None

    @staticmethod
    def resolve_progress(job: ImportJob) -> dict:
        processed, total = services.import_job_progress(job)
        percent = job.progress_percent
        if job.status == ImportJob.Status.RUNNING and total:
            percent = min(99, int(processed * 100 / total))
        return {"processed": processed, "total": total, "percent": percent}


@router.post("/imports", response={202: ImportJobOut}, summary="上传文件并开始导入")
def create_import(
    request,
    kind: Form[Kind],
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    skip_invalid: Form[bool] = False,
):
    """CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX with the columns of DESIGN.md §5. The job runs
    in the background: poll GET /imports/{id} until `status` is `done` or `failed`."""
    with transaction.atomic():
        job = services.import_job_create(
            actor=request.user, kind=kind, upload=file, dry_run=dry_run, skip_invalid=skip_invalid
        )
        job = services.import_job_start(actor=request.user, job=job, dry_run=dry_run)
    job.refresh_from_db()  # the queue may already have run it (immediate mode)
    return Status(202, job)


@router.get("/imports", response=Paged[ImportJobOut], summary="导入任务列表")
def list_imports(request, page: Query[PageIn]):
    return paged(services.import_job_list(user=request.user), page)


@router.get("/imports/{int:job_id}", response=ImportJobOut, summary="导入任务状态")
def get_import(request, job_id: int):
    return services.import_job_for(request.user, job_id)
