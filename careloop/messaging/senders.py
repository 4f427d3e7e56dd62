"""Where sent messages go. A sender has `send(messages, *, now)`; it runs inside the dispatch
transaction that holds the messages' locks, and raising aborts (and later retries) the batch.
Choose one with `CARELOOP_MESSAGE_SENDER` (dotted path); an SMS gateway adapter plugs in here."""

from __future__ import annotations

import logging
from datetime import datetime

from careloop.customers.models import Interaction
from careloop.messaging.models import ScheduledMessage

log = logging.getLogger(__name__)


class TimelineSender:
    """The default without a gateway: log the message and record it on the customer's
    timeline (an `Interaction` of kind message), so the customer 360 shows what was sent."""

    def send(self, messages: list[ScheduledMessage], *, now: datetime) -> None:
        from careloop.messaging.services import message_text

        Interaction.objects.bulk_create(
            Interaction(
                customer_id=m.customer_id,
                occurred_at=now,
                channel=m.channel,
                kind=Interaction.Kind.MESSAGE,
                text=message_text(m),
                # Our own words: the emotion backfill must not read them as the customer's.
                emotion=Interaction.Emotion.NEUTRAL,
            )
            for m in messages
        )
        log.info("message.timeline", extra={"count": len(messages)})
