"""Background jobs of the care plan (Huey): the nightly plan, the event rules every minute and
the overdue watch every ten minutes. Each calls a service and is safe to run twice."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from careloop.core import clock

# 02:30 Asia/Shanghai (UTC+8), half an hour after the nightly segmentation (18:00 UTC).
NIGHTLY = crontab(hour="18", minute="30")
EVERY_MINUTE = crontab(minute="*")
EVERY_TEN_MINUTES = crontab(minute="*/10")


def event_purposes() -> list[str]:
    from careloop.care.purposes import all_purposes

    return [p.key for p in all_purposes() if p.event]


@db_periodic_task(NIGHTLY)
def plan_nightly_job() -> None:
    """Every enabled rule for today (segments were refreshed at 02:00)."""
    from careloop.care.planner import plan_day

    plan_day(as_of=clock.today(), trigger="nightly", collect=False)


@db_periodic_task(EVERY_MINUTE)
def plan_events_job() -> None:
    """The event rules (complaint follow-up, resolution check, emotion care, detractor
    follow-up) for today: a new complaint or a bad answer gets its task within a minute."""
    from careloop.care.planner import plan_day

    plan_day(as_of=clock.today(), purposes=event_purposes(), trigger="event", collect=False)


@db_periodic_task(EVERY_TEN_MINUTES)
def tasks_overdue_job() -> None:
    from careloop.care.services import callback_tasks_flag_overdue

    callback_tasks_flag_overdue()


@db_task()
def plan_run_job(as_of: str | None = None, user_id: int | None = None) -> None:
    """A supervisor's "run the plan now" from the plan page, in the worker."""
    from datetime import date

    from careloop.accounts.models import User
    from careloop.care.services import care_plan_run

    user = User.objects.filter(pk=user_id).first() if user_id else None
    care_plan_run(as_of=date.fromisoformat(as_of) if as_of else None, user=user)
