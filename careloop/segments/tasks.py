"""Background jobs of the segmentation (Huey); each loads by id and calls a service."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from careloop.core import clock

# The services are imported inside the jobs: they pull in numpy and scipy (the churn model),
# which would make every worker start slow (and a Ctrl-C during start-up noisy).

# 02:00 Asia/Shanghai (UTC+8, no daylight saving) is 18:00 UTC: Huey runs with utc=True.
NIGHTLY = crontab(hour="18", minute="0")


@db_periodic_task(NIGHTLY)
def segment_nightly_job() -> None:
    """Segment everyone as of today (Asia/Shanghai), two hours into the day.

    At 02:00 the new day D has just begun and holds almost no orders; segmenting as of D makes
    the stored values those of the day the agents will work on (R counts from D)."""
    from careloop.segments.services import segment_customers

    segment_customers(as_of=clock.today())


@db_task()
def segment_run_job(run_id: int) -> None:
    from careloop.segments.services import segment_run_execute

    segment_run_execute(run_id=run_id)
