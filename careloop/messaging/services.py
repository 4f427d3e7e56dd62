"""Writes for outgoing messages: schedule (one or in bulk), dispatch, opt-out replies.

The rules (DESIGN.md §3), applied the same way to one message and to a planner's batch:
- quiet hours (`CARELOOP_QUIET_HOURS`, default 21:00–09:00 company time) move `send_at` to the
  end of the quiet period (09:00) — a shift, not a suppression;
- a marketing message to a customer marked do-not-contact, to one who opted out (回复 T 退订),
  or within `CARELOOP_MESSAGE_FREQUENCY_DAYS` (7) days of another scheduled or sent marketing
  message to that customer is stored with status `suppressed` and the reason, so the plan can
  say why. The cap counts company-time days: a message on day D blocks D−6 … D+6.
- service messages (complaint acknowledgements, apologies, appointment notices) ignore the cap
  and the opt-out, and reach do-not-contact customers too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from careloop.accounts.models import User
from careloop.accounts.services import audit_record
from careloop.core import clock
from careloop.core.bulk import insert_rows
from careloop.core.errors import DomainError, PermissionDenied
from careloop.core.phones import InvalidPhone, normalize_phone
from careloop.customers.models import Customer, Interaction
from careloop.emotion.services import interactions_emotion
from careloop.messaging.models import MessageOptOut, ScheduledMessage
from careloop.workcal.services import parse_span, to_local

log = logging.getLogger(__name__)

Status = ScheduledMessage.Status
Reason = ScheduledMessage.Reason
BODY_MAX = 1000
PURPOSE_MAX = 32
BULK_BATCH = 2000
OPT_OUT_WORDS = {"T", "TD", "退订"}
OPT_OUT_FOOTER = "回T退订"
COUNTED = (Status.SCHEDULED, Status.SENT)  # what the frequency cap counts
CHANNELS = frozenset(ScheduledMessage.Channel.values)


@dataclass
class MessageDraft:
    """One message for `messages_schedule_bulk` (the planner's batch)."""

    customer_id: int
    purpose: str
    body: str
    channel: str = "sms"
    marketing: bool = False
    not_before: datetime | None = None
    respect_quiet_hours: bool = True
    source_type: str = ""
    source_id: int | None = None


# Quiet hours and the frequency window --------------------------------------------------------


def quiet_hours() -> tuple[time, time]:
    return parse_span(settings.CARELOOP_QUIET_HOURS, setting="CARELOOP_QUIET_HOURS")


def quiet_hours_shift(moment: datetime) -> datetime:
    """The first moment at or after `moment` outside quiet hours, as aware UTC.
    With 21:00–09:00: 20:59 stays, 21:00 → 09:00 next day, 08:59 → 09:00, 09:00 stays."""
    begins, ends = quiet_hours()
    local = to_local(moment)
    now_time = local.time()
    if begins > ends:  # the quiet period runs over midnight
        if now_time >= begins:
            return _at(local.date() + timedelta(days=1), ends)
        if now_time < ends:
            return _at(local.date(), ends)
    elif begins <= now_time < ends:
        return _at(local.date(), ends)
    return local.astimezone(UTC)


def in_quiet_hours(moment: datetime) -> bool:
    return quiet_hours_shift(moment) != to_local(moment).astimezone(UTC)


def _at(day: date, at: time) -> datetime:
    tz = timezone.get_default_timezone()
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def frequency_days() -> int:
    return settings.CARELOOP_MESSAGE_FREQUENCY_DAYS


def _cap_window(first: date, last: date) -> tuple[datetime, datetime]:
    """Send times that conflict with a marketing message on any day from `first` to `last`."""
    reach = timedelta(days=frequency_days() - 1)
    return clock.day_start(first - reach), clock.day_end(last + reach)


def frequency_capped_messages(as_of: datetime) -> QuerySet:
    """`customer_id`s (a subquery) of customers with a scheduled or sent marketing message
    within the frequency window of `as_of`'s day: another marketing message would be capped."""
    day = to_local(as_of).date()
    since, until = _cap_window(day, day)
    return (
        ScheduledMessage.objects.filter(
            marketing=True, status__in=COUNTED, send_at__gte=since, send_at__lt=until
        )
        .values("customer_id")
        .order_by()
    )


def frequency_capped_customer_ids(customer_ids: Iterable[int], as_of: datetime) -> set[int]:
    ids = list(customer_ids)
    if not ids:
        return set()
    rows = frequency_capped_messages(as_of).filter(customer_id__in=ids)
    return set(rows.values_list("customer_id", flat=True))


def opted_out_customers(channel: str | None = None) -> QuerySet:
    """`customer_id`s (a subquery) of customers who opted out of marketing on `channel`
    (an opt-out of all channels counts for every channel; None: any opt-out at all)."""
    qs = MessageOptOut.objects.all()
    if channel is not None:
        qs = qs.filter(Q(channel="") | Q(channel=channel))
    return qs.values("customer_id").order_by()


def opted_out_customer_ids(customer_ids: Iterable[int], channel: str | None = None) -> set[int]:
    ids = list(customer_ids)
    if not ids:
        return set()
    rows = opted_out_customers(channel).filter(customer_id__in=ids)
    return set(rows.values_list("customer_id", flat=True))


# Scheduling ----------------------------------------------------------------------------------


def _send_time(moment: datetime, respect_quiet_hours: bool) -> datetime:
    """When a message asked for at `moment` goes out (aware UTC; a naive moment is company
    time), after quiet hours when it respects them."""
    send_at = to_local(moment).astimezone(UTC)
    return quiet_hours_shift(send_at) if respect_quiet_hours else send_at


def _validated(draft: MessageDraft, now: datetime, send_time=_send_time) -> ScheduledMessage:
    purpose = (draft.purpose or "").strip()
    if not purpose or len(purpose) > PURPOSE_MAX:
        raise DomainError(
            _("消息目的须为 1–%(max)s 个字符:%(value)s") % {"max": PURPOSE_MAX, "value": purpose},
            field="purpose",
        )
    if draft.channel not in CHANNELS:
        raise DomainError(_("未知的消息渠道:%(value)s") % {"value": draft.channel}, field="channel")
    body = (draft.body or "").strip()
    if not body:
        raise DomainError(_("请填写消息内容"), field="body")
    if len(body) > BODY_MAX:
        raise DomainError(_("消息内容最多 %(max)s 字") % {"max": BODY_MAX}, field="body")
    send_at = send_time(draft.not_before or now, bool(draft.respect_quiet_hours))
    return ScheduledMessage(
        customer_id=draft.customer_id,
        purpose=purpose,
        channel=draft.channel,
        body=body,
        marketing=bool(draft.marketing),
        respect_quiet_hours=bool(draft.respect_quiet_hours),
        send_at=send_at,
        status=Status.SCHEDULED,
        source_type=(draft.source_type or "")[:32],
        source_id=draft.source_id,
    )


def _apply_rules(messages: list[ScheduledMessage]) -> None:
    """Mark marketing messages suppressed where a rule says so: two queries for the whole
    batch (customers with their opt-outs; marketing messages in the cap window)."""
    marketing = [m for m in messages if m.marketing]
    if not marketing:
        return
    ids = {m.customer_id for m in marketing}
    do_not_contact: set[int] = set()
    opt_outs: dict[int, set[str]] = defaultdict(set)
    rows = Customer.objects.filter(pk__in=ids).values_list(
        "pk", "do_not_contact", "opt_outs__channel"
    )
    for pk, dnc, channel in rows.order_by():
        if dnc:
            do_not_contact.add(pk)
        if channel is not None:
            opt_outs[pk].add(channel)
    local_days: dict[datetime, date] = {}  # a batch shares a few send times
    for moment in {m.send_at for m in marketing}:
        local_days[moment] = to_local(moment).date()
    days = [local_days[m.send_at] for m in marketing]
    since, until = _cap_window(min(days), max(days))
    taken: dict[int, list[date]] = defaultdict(list)
    existing = ScheduledMessage.objects.filter(
        customer_id__in=ids,
        marketing=True,
        status__in=COUNTED,
        send_at__gte=since,
        send_at__lt=until,
    ).values_list("customer_id", "send_at")
    for pk, send_at in existing.order_by():
        taken[pk].append(to_local(send_at).date())
    reach = frequency_days()
    for message, day in zip(marketing, days, strict=True):
        pk = message.customer_id
        if pk in do_not_contact:
            reason = Reason.DO_NOT_CONTACT
        elif "" in opt_outs[pk] or message.channel in opt_outs[pk]:
            reason = Reason.OPT_OUT
        elif any(abs((day - other).days) < reach for other in taken[pk]):
            reason = Reason.FREQUENCY_CAP
        else:
            taken[pk].append(day)  # a second message in the same batch is capped by this one
            continue
        message.status, message.suppressed_reason = Status.SUPPRESSED, reason


@transaction.atomic
def message_schedule(
    *,
    customer: Customer,
    purpose: str,
    body: str,
    channel: str = "sms",
    marketing: bool = False,
    not_before: datetime | None = None,
    respect_quiet_hours: bool = True,
    source_type: str = "",
    source_id: int | None = None,
) -> ScheduledMessage:
    """Schedule one message (status scheduled, or suppressed with the reason)."""
    draft = MessageDraft(
        customer_id=customer.pk,
        purpose=purpose,
        body=body,
        channel=channel,
        marketing=marketing,
        not_before=not_before,
        respect_quiet_hours=respect_quiet_hours,
        source_type=source_type,
        source_id=source_id,
    )
    message = _validated(draft, clock.now())
    if marketing:  # two concurrent marketing messages to one customer: the second sees the first
        Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk").first()
    _apply_rules([message])
    message.save()
    _log_scheduled([message])
    return message


def messages_schedule_bulk(rows: list[MessageDraft]) -> list[ScheduledMessage]:
    """Schedule many messages set-based: per batch of 2,000, two queries for the rules and one
    bulk insert. Every row is validated first; a bad row (DomainError naming the row and field)
    writes nothing."""
    now = clock.now()
    send_times: dict[tuple[datetime, bool], datetime] = {}  # a batch shares a few

    def send_time(moment: datetime, respect_quiet_hours: bool) -> datetime:
        key = (moment, respect_quiet_hours)
        found = send_times.get(key)
        if found is None:
            found = send_times[key] = _send_time(moment, respect_quiet_hours)
        return found

    messages: list[ScheduledMessage] = []
    for number, draft in enumerate(rows, start=1):
        try:
            messages.append(_validated(draft, now, send_time))
        except DomainError as exc:
            raise DomainError(
                _("第 %(row)s 条消息:%(message)s") % {"row": number, "message": exc.message},
                field=exc.field,
            ) from exc
    with transaction.atomic():
        created: list[ScheduledMessage] = []
        for first in range(0, len(messages), BULK_BATCH):
            chunk = messages[first : first + BULK_BATCH]
            _apply_rules(chunk)
            created += _insert(chunk)
    _log_scheduled(created)
    return created


def _insert(messages: list[ScheduledMessage]) -> list[ScheduledMessage]:
    """bulk_create without its per-field preparation on PostgreSQL (most of the planner's
    messaging time): one INSERT … SELECT * FROM unnest(…) RETURNING id (`insert_rows`).
    SQLite: bulk_create."""
    if connection.vendor != "postgresql":
        return ScheduledMessage.objects.bulk_create(messages)
    now = timezone.now()  # what auto_now_add would set
    for message in messages:
        message.created_at = now
    names = [f.attname for f in ScheduledMessage._meta.concrete_fields if not f.primary_key]
    ids = insert_rows(
        ScheduledMessage,
        names,
        [tuple(getattr(m, name) for name in names) for m in messages],
        returning="id",
    )
    for message, pk in zip(messages, ids, strict=True):
        message.pk = pk
        message._state.adding, message._state.db = False, connection.alias
    return messages


def _log_scheduled(messages: list[ScheduledMessage]) -> None:
    suppressed = sum(1 for m in messages if m.status == Status.SUPPRESSED)
    log.info(
        "message.scheduled",
        extra={"count": len(messages) - suppressed, "suppressed": suppressed},
    )


@transaction.atomic
def messages_cancel(*, source_type: str, source_id: int, purpose: str = "") -> int:
    """Cancel what is still scheduled for a source (e.g. a complaint closed before its
    progress update went out); returns how many were cancelled."""
    qs = ScheduledMessage.objects.filter(
        source_type=source_type, source_id=source_id, status=Status.SCHEDULED
    )
    if purpose:
        qs = qs.filter(purpose=purpose)
    return qs.update(status=Status.CANCELLED)


# Dispatch ------------------------------------------------------------------------------------


def message_text(message: ScheduledMessage) -> str:
    """What the customer receives: marketing SMS end with the opt-out hint (回T退订)."""
    if message.marketing and message.channel == "sms" and "退订" not in message.body:
        return f"{message.body} {OPT_OUT_FOOTER}"
    return message.body


def get_sender():
    """The sender named by `CARELOOP_MESSAGE_SENDER` (default: the customer's timeline)."""
    return import_string(settings.CARELOOP_MESSAGE_SENDER)()


def has_address(customer: Customer, channel: str) -> bool:
    """SMS and WeChat (bound to the mobile number) need a phone; email needs an address."""
    return bool(customer.email if channel == ScheduledMessage.Channel.EMAIL else customer.phone)


@dataclass
class DispatchResult:
    sent: int = 0
    suppressed: int = 0
    ids: list[int] = field(default_factory=list)


def messages_dispatch(
    *, now: datetime | None = None, batch_size: int = 1000, max_batches: int = 60
) -> DispatchResult:
    """Send what is due, oldest first, in batches (each its own transaction). Safe to run twice
    and from several workers: a batch locks its rows (SKIP LOCKED on PostgreSQL; SQLite
    serialises writers) and only still-scheduled messages are picked up. At most 60,000 a run
    (the timeline sender writes ~3,000 a second); the next minute's run goes on from there."""
    now = now or clock.now()
    result = DispatchResult()
    for _batch in range(max_batches):
        picked = _dispatch_batch(now=now, batch_size=batch_size, result=result)
        if picked < batch_size:
            break
    if result.sent or result.suppressed:
        log.info("message.dispatched", extra={"sent": result.sent, "suppressed": result.suppressed})
    return result


@transaction.atomic
def _dispatch_batch(*, now: datetime, batch_size: int, result: DispatchResult) -> int:
    due = ScheduledMessage.objects.filter(status=Status.SCHEDULED, send_at__lte=now).order_by(
        "send_at", "id"
    )
    if in_quiet_hours(now):  # overdue messages wait for the end of quiet hours, too
        due = due.filter(respect_quiet_hours=False)
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    messages = list(due.select_related("customer")[:batch_size])
    if not messages:
        return 0
    # Someone may have opted out (or been marked do-not-contact) since the message was planned.
    marketing_ids = {m.customer_id for m in messages if m.marketing}
    opt_outs: dict[int, set[str]] = defaultdict(set)
    if marketing_ids:
        rows = MessageOptOut.objects.filter(customer_id__in=marketing_ids)
        for pk, channel in rows.values_list("customer_id", "channel").order_by():
            opt_outs[pk].add(channel)
    blocked: dict[int, str] = {}
    for m in messages:
        if not has_address(m.customer, m.channel):
            blocked[m.pk] = Reason.NO_ADDRESS
        elif not m.marketing:
            continue
        elif m.customer.do_not_contact:
            blocked[m.pk] = Reason.DO_NOT_CONTACT
        elif "" in opt_outs[m.customer_id] or m.channel in opt_outs[m.customer_id]:
            blocked[m.pk] = Reason.OPT_OUT
    for reason in set(blocked.values()):
        ids = [pk for pk, r in blocked.items() if r == reason]
        ScheduledMessage.objects.filter(pk__in=ids).update(
            status=Status.SUPPRESSED, suppressed_reason=reason
        )
    sendable = [m for m in messages if m.pk not in blocked]
    if sendable:
        get_sender().send(sendable, now=now)
        ScheduledMessage.objects.filter(pk__in=[m.pk for m in sendable]).update(
            status=Status.SENT, sent_at=now
        )
    result.sent += len(sendable)
    result.suppressed += len(blocked)
    result.ids += [m.pk for m in sendable]
    return len(messages)


# Replies from customers (SMS gateway) --------------------------------------------------------


@dataclass
class InboundResult:
    customers: list[Customer]
    opted_out: bool


def is_opt_out_reply(body: str) -> bool:
    """'T', 't', ' TD ', '退订' (with trailing punctuation) ask to stop marketing messages."""
    word = (body or "").strip().rstrip("。.!！ ").strip().upper()
    return word in OPT_OUT_WORDS


@transaction.atomic
def message_inbound_record(
    *, phone: str, body: str, received_at: datetime | None = None
) -> InboundResult:
    """A customer's reply to a message: shown on the timeline of every customer with that
    number; T / TD / 退订 opts them out of marketing messages on every channel and suppresses
    the marketing messages still scheduled for them."""
    try:
        normalized = normalize_phone(phone)
    except InvalidPhone as exc:
        raise DomainError(_("手机号码无效:%(value)s") % {"value": phone}, field="phone") from exc
    if not normalized:
        raise DomainError(_("请填写手机号码"), field="phone")
    text = (body or "").strip()
    if not text:
        raise DomainError(_("请填写回复内容"), field="body")
    received_at = received_at or clock.now()
    customers = list(Customer.objects.filter(phone=normalized).order_by("pk"))
    opted_out = is_opt_out_reply(text)
    if not customers:
        log.info("message.inbound_unknown", extra={"opt_out": opted_out})
        return InboundResult(customers=[], opted_out=False)
    ids = [c.pk for c in customers]
    # The customer's own words go through emotion analysis like any other contact text
    # (a reply threatening 12315 must reach emotion_care), without our prefix.
    ((emotion, high_risk, cues),) = interactions_emotion([text[:500]])
    Interaction.objects.bulk_create(
        Interaction(
            customer_id=pk,
            occurred_at=received_at,
            channel=Interaction.Channel.SMS,
            kind=Interaction.Kind.MESSAGE,
            text=_("客户回复:%(text)s") % {"text": text[:500]},
            emotion=emotion,
            high_risk=high_risk,
            emotion_cues=cues,
        )
        for pk in ids
    )
    if opted_out:
        _opt_out(
            customer_ids=ids,
            channel="",
            source=MessageOptOut.Source.REPLY,
            actor=None,
            detail={"reply": text[:20]},
        )
    return InboundResult(customers=customers, opted_out=opted_out)


def _opt_out(
    *, customer_ids: list[int], channel: str, source: str, actor: User | None, detail: dict
) -> list[int]:
    """Record the opt-out of each customer not yet opted out on `channel`, suppress their
    marketing messages still scheduled on it, audit each; returns the newly opted-out ids."""
    already = set(
        MessageOptOut.objects.filter(customer_id__in=customer_ids, channel=channel).values_list(
            "customer_id", flat=True
        )
    )
    new = [pk for pk in customer_ids if pk not in already]
    MessageOptOut.objects.bulk_create(
        [MessageOptOut(customer_id=pk, channel=channel, source=source) for pk in new],
        ignore_conflicts=True,
    )
    pending = ScheduledMessage.objects.filter(
        customer_id__in=new, marketing=True, status=Status.SCHEDULED
    )
    if channel:
        pending = pending.filter(channel=channel)
    pending.update(status=Status.SUPPRESSED, suppressed_reason=Reason.OPT_OUT)
    for pk in new:
        audit_record(
            actor=actor,
            action="message.opt_out",
            target_type="customer",
            target_id=str(pk),
            customer_id=pk,
            detail={"source": source, "channel": channel, **detail},
        )
    return new


def _channel(channel: str) -> str:
    channel = channel or ""
    if channel and channel not in ScheduledMessage.Channel.values:
        raise DomainError(_("未知的消息渠道:%(value)s") % {"value": channel}, field="channel")
    return channel


@transaction.atomic
def message_opt_out_record(
    *, actor: User, customer: Customer, channel: str = "", note: str = ""
) -> bool:
    """An agent records a customer's wish to get no marketing messages (on `channel`, or on
    any channel when blank), e.g. said on the phone. False when already recorded."""
    channel = _channel(channel)
    new = _opt_out(
        customer_ids=[customer.pk],
        channel=channel,
        source=MessageOptOut.Source.AGENT,
        actor=actor,
        detail={"note": (note or "").strip()[:200]},
    )
    return bool(new)


@transaction.atomic
def message_opt_out_remove(*, actor: User, opt_out: MessageOptOut) -> None:
    """The customer asked to receive marketing messages again (supervisors and admins)."""
    if not (actor.is_admin or actor.is_supervisor):
        raise PermissionDenied(_("只有主管或管理员可以恢复营销消息"))
    audit_record(
        actor=actor,
        action="message.opt_in",
        target_type="customer",
        target_id=str(opt_out.customer_id),
        customer_id=opt_out.customer_id,
        detail={"channel": opt_out.channel, "source": opt_out.source},
    )
    opt_out.delete()
