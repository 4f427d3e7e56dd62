"""Background jobs of the import (Huey); each loads by id and calls a service."""

from huey.contrib.djhuey import db_task

from careloop.imports.services import import_job_run


@db_task()
def import_file_job(job_id: int) -> None:
    import_job_run(job_id=job_id)
