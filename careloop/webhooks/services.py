"""Fire webhooks after commit; deliver them signed (HMAC-SHA256) with retries in the worker.

The receiver checks `X-CareLoop-Signature: sha256=<hex>` = HMAC-SHA256(secret, raw body)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from careloop.core import clock
from careloop.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
TIMEOUT_S = 10
SIGNATURE_HEADER = "X-CareLoop-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_fire(*, event: str, payload: dict[str, Any]) -> list[int]:
    """Record a delivery for every active endpoint subscribed to `event`; each is sent by the
    worker once the surrounding transaction commits (nothing is sent for a rolled-back write)."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if e.wants(event)]
    if not endpoints:
        return []
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=event, payload=payload) for e in endpoints]
    )
    ids = [d.pk for d in deliveries]
    from careloop.webhooks.tasks import webhook_deliver_job

    for pk in ids:
        transaction.on_commit(lambda pk=pk: webhook_deliver_job(pk))
    return ids


def body_for(delivery: WebhookDelivery) -> bytes:
    document = {
        "event": delivery.event,
        "delivery": delivery.pk,
        "created_at": delivery.created_at,
        "data": delivery.payload,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def webhook_deliver(*, delivery: WebhookDelivery) -> bool:
    """One attempt; True when the receiver answered 2xx. A failure leaves the delivery
    `retrying` (the job schedules the next attempt) or `failed` after MAX_ATTEMPTS."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery.pk)
    if delivery.status in {WebhookDelivery.Status.SUCCESS, WebhookDelivery.Status.FAILED}:
        return delivery.status == WebhookDelivery.Status.SUCCESS
    body = body_for(delivery)
    request = urllib.request.Request(
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "CareLoop-Webhook/1",
            "X-CareLoop-Event": delivery.event,
            "X-CareLoop-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: sign(delivery.endpoint.secret, body),
        },
    )
    delivery.attempts += 1
    code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            code = response.status
    except urllib.error.HTTPError as exc:
        code, error = exc.code, str(exc)[:500]
    except (urllib.error.URLError, OSError) as exc:
        error = str(exc)[:500]
    ok = code is not None and 200 <= code < 300
    delivery.response_code, delivery.last_error = code, error
    if ok:
        delivery.status, delivery.delivered_at = WebhookDelivery.Status.SUCCESS, clock.now()
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.status = WebhookDelivery.Status.RETRYING
    delivery.save()
    log.info(
        "webhook.delivery",
        extra={"delivery": delivery.pk, "status": delivery.status, "code": code},
    )
    return ok


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt: 1, 2, 4, 8 minutes."""
    return 60 * 2 ** max(attempts - 1, 0)
