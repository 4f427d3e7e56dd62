"""Two workers dispatching at the same moment send each message once (SKIP LOCKED on
PostgreSQL; SQLite serialises the two writers)."""

import threading
import time
from datetime import UTC

import pytest
from django.db import connection

from careloop.customers.models import Interaction
from careloop.customers.tests.factories import at, make_customer
from careloop.messaging.models import ScheduledMessage
from careloop.messaging.senders import TimelineSender
from careloop.messaging.services import message_schedule, messages_dispatch


class SlowSender(TimelineSender):
    """Holds the batch's locks long enough for the other worker to arrive."""

    def send(self, messages, *, now):
        time.sleep(0.3)
        super().send(messages, now=now)


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_message_once(settings, team_east):
    settings.CARELOOP_MESSAGE_SENDER = "careloop.messaging.tests.test_concurrency.SlowSender"
    for i in range(6):
        message_schedule(
            customer=make_customer(f"客户{i}", team=team_east),
            purpose="appointment_notice",
            body="明天上午回访",
            not_before=at("2026-11-10 10:00"),
        )
    now = at("2026-11-10 11:00").astimezone(UTC)
    results, errors = [], []

    def worker():
        try:
            results.append(messages_dispatch(now=now, batch_size=3))
        except Exception as exc:  # any failure in the thread fails the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sent_ids = [pk for r in results for pk in r.ids]
    assert sorted(sent_ids) == sorted(set(sent_ids))
    assert len(sent_ids) == 6
    assert ScheduledMessage.objects.filter(status="sent").count() == 6
    assert Interaction.objects.filter(kind="message").count() == 6
