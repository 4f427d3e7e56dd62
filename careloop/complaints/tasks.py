"""Background jobs of complaints (Huey): the acknowledgement, the SLA watch, the mailbox."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def complaint_ack_job(complaint_id: int) -> None:
    from careloop.complaints.models import Complaint
    from careloop.complaints.services import complaint_ack_send

    complaint = Complaint.objects.filter(pk=complaint_id).first()
    if complaint is not None:
        complaint_ack_send(complaint=complaint)


@db_periodic_task(crontab(minute="*"))
def complaint_sla_watch_job() -> None:
    """Every minute: warnings at 80 %, breaches, escalations, missed acknowledgements."""
    from careloop.complaints.services import complaint_sla_watch

    complaint_sla_watch()


@db_periodic_task(crontab(minute="*/5"))
def complaint_mailbox_job() -> None:
    """Every 5 minutes: turn new mails in CARELOOP_COMPLAINT_MAILBOX into complaints."""
    from careloop.complaints.mail import mailbox_configured, mailbox_poll

    if mailbox_configured():
        mailbox_poll()
