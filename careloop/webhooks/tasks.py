"""Webhook deliveries in the worker, with retries (1, 2, 4, 8 minutes apart)."""

from huey.contrib.djhuey import db_task


@db_task()
def webhook_deliver_job(delivery_id: int) -> None:
    from careloop.webhooks.models import WebhookDelivery
    from careloop.webhooks.services import retry_delay, webhook_deliver

    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or webhook_deliver(delivery=delivery):
        return
    delivery.refresh_from_db()
    if delivery.status == WebhookDelivery.Status.RETRYING:
        webhook_deliver_job.schedule((delivery_id,), delay=retry_delay(delivery.attempts))
