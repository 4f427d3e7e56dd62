"""Background jobs of messaging (Huey): the dispatch of due messages, every minute."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab())  # every minute
def message_dispatch_job() -> None:
    """Send the messages that are due; safe to run twice or on several workers at once."""
    from careloop.messaging.services import messages_dispatch

    messages_dispatch()
