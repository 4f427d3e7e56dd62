"""Background jobs of the agent workspace (named *_job: "task" is 回访任务)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from careloop.callbacks import services
from careloop.core import clock


# 03:00 Asia/Shanghai (UTC+8), after the nightly plan (02:30): before the 10:00 notices go out.
@db_periodic_task(crontab(hour="19", minute="0"))
def appointment_notices_job() -> None:
    """Every morning: tomorrow's non-urgent calls and the coming visits get their notice."""
    services.appointment_notices(as_of=clock.today())
