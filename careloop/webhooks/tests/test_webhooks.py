"""Webhooks are signed (HMAC-SHA256), sent after commit, recorded, and retried on failure."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from careloop.complaints import services
from careloop.complaints.tests.factories import frozen, make_ticket, run_to_resolved
from careloop.webhooks.models import WebhookDelivery, WebhookEndpoint

SECRET = "s3cret-key"


@pytest.fixture
def receiver():
    """A local HTTP server in a thread; it records what it gets and answers `status`."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        status = 204

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": self.headers, "body": body})  # case-insensitive
            self.send_response(server.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.status = 204
    server.received = received
    server.url = f"http://127.0.0.1:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_complaint_created_is_delivered_signed(
    db, outbox, receiver, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(url=receiver.url, events=["complaint.created"], secret=SECRET)
    WebhookEndpoint.objects.create(url=receiver.url, events=["complaint.closed"], secret="other")
    with django_capture_on_commit_callbacks(execute=True):
        complaint = make_ticket(severity="A")
    assert len(receiver.received) == 1
    got = receiver.received[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["X-CareLoop-Signature"] == expected
    assert got["headers"]["X-CareLoop-Event"] == "complaint.created"
    document = json.loads(got["body"])
    assert document["event"] == "complaint.created"
    assert document["data"]["number"] == complaint.number
    assert document["data"]["severity"] == "A"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("success", 1, 204)


def test_nothing_is_sent_for_a_rolled_back_write(db, outbox, receiver):
    from careloop.core.errors import DomainError

    WebhookEndpoint.objects.create(url=receiver.url, events=[], secret=SECRET)
    with pytest.raises(DomainError):
        make_ticket(severity="Z")
    assert receiver.received == []
    assert WebhookDelivery.objects.count() == 0


def test_breach_and_close_fire(db, outbox, agent_li, receiver, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(
        url=receiver.url, events=["complaint.breached", "complaint.closed"], secret=SECRET
    )
    with frozen("2026-11-25 09:00") as t, django_capture_on_commit_callbacks(execute=True):
        complaint = make_ticket(severity="A")
        t.set("2026-11-25 11:00")
        services.complaint_sla_watch()
        services.complaint_sla_watch()  # once
        run_to_resolved(complaint, agent_li)
        services.complaint_resolution_confirm(complaint=complaint, user=agent_li, satisfied=True)
    events = [json.loads(r["body"])["event"] for r in receiver.received]
    assert events == ["complaint.breached", "complaint.closed"]


def test_failed_delivery_is_recorded_for_retry(
    db, outbox, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    WebhookEndpoint.objects.create(url=receiver.url, events=["complaint.created"], secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("retrying", 1, 500)
    receiver.status = 200
    from careloop.webhooks.tasks import webhook_deliver_job

    webhook_deliver_job(delivery.pk)  # what the scheduled retry runs
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("success", 2)
    assert len(receiver.received) == 2


def test_gives_up_after_five_attempts(db, outbox):
    from careloop.webhooks.services import webhook_deliver

    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/none", secret=SECRET)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="complaint.created")
    for _i in range(6):
        webhook_deliver(delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 5)
