"""Scheduling rules: quiet hours, frequency cap, opt-out, do-not-contact; bulk; dispatch."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from careloop.accounts.models import AuditLog
from careloop.core.errors import DomainError
from careloop.customers.models import Interaction
from careloop.customers.tests.factories import at, make_customer
from careloop.messaging.models import MessageOptOut, ScheduledMessage
from careloop.messaging.services import (
    MessageDraft,
    frequency_capped_customer_ids,
    message_inbound_record,
    message_schedule,
    messages_cancel,
    messages_dispatch,
    messages_schedule_bulk,
    opted_out_customer_ids,
    quiet_hours_shift,
)

pytestmark = pytest.mark.django_db
Status = ScheduledMessage.Status


def utc(text: str) -> datetime:
    return at(text).astimezone(UTC)


def frozen(moment: datetime):
    return mock.patch("careloop.core.clock.now", return_value=moment)


def care(customer, when: str, **kwargs) -> ScheduledMessage:
    kwargs.setdefault("purpose", "wakeup")
    kwargs.setdefault("body", "张先生,好久不见,送您一张 50 元券")
    kwargs.setdefault("marketing", True)
    return message_schedule(customer=customer, not_before=at(when), **kwargs)


# Quiet hours: 21:00–09:00 Asia/Shanghai, a shift (not a suppression)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-11-25 20:59", "2026-11-25 20:59"),
        ("2026-11-25 21:00", "2026-11-26 09:00"),
        ("2026-11-25 23:30", "2026-11-26 09:00"),
        ("2026-11-26 00:00", "2026-11-26 09:00"),
        ("2026-11-26 08:59", "2026-11-26 09:00"),
        ("2026-11-26 09:00", "2026-11-26 09:00"),
    ],
)
def test_quiet_hours_edges(when, expected):
    customer = make_customer()
    message = care(customer, when)
    assert message.status == Status.SCHEDULED
    assert message.suppressed_reason == ""
    assert message.send_at == utc(expected)
    assert quiet_hours_shift(at(when)) == utc(expected)


def test_quiet_hours_can_be_ignored_for_urgent_service_messages():
    customer = make_customer()
    message = care(
        customer,
        "2026-11-25 23:30",
        purpose="complaint_ack",
        marketing=False,
        respect_quiet_hours=False,
    )
    assert message.send_at == utc("2026-11-25 23:30")


def test_quiet_hours_from_the_setting(settings):
    settings.CARELOOP_QUIET_HOURS = "22:00-08:00"
    assert quiet_hours_shift(at("2026-11-25 21:30")) == utc("2026-11-25 21:30")
    assert quiet_hours_shift(at("2026-11-25 22:00")) == utc("2026-11-26 08:00")


def test_send_at_defaults_to_now_shifted_out_of_quiet_hours():
    customer = make_customer()
    with frozen(utc("2026-11-25 22:15")):
        message = message_schedule(customer=customer, purpose="birthday", body="生日快乐")
    assert message.send_at == utc("2026-11-26 09:00")


# Frequency cap: one marketing message per customer per 7 days (company-time days)


def test_frequency_cap_6_days_suppressed_7_days_allowed():
    customer = make_customer()
    first = care(customer, "2026-11-10 10:00")
    six = care(customer, "2026-11-16 18:00")
    seven = care(customer, "2026-11-17 09:00")
    assert first.status == Status.SCHEDULED
    assert (six.status, six.suppressed_reason) == (Status.SUPPRESSED, "frequency_cap")
    assert (seven.status, seven.suppressed_reason) == (Status.SCHEDULED, "")


def test_frequency_cap_counts_a_later_scheduled_message_and_sent_ones_but_not_suppressed():
    customer = make_customer()
    care(customer, "2026-11-20 10:00")  # scheduled in the future
    assert care(customer, "2026-11-15 10:00").suppressed_reason == "frequency_cap"
    other = make_customer("李四")
    sent = care(other, "2026-11-01 10:00")
    ScheduledMessage.objects.filter(pk=sent.pk).update(status=Status.SENT)
    assert care(other, "2026-11-05 10:00").suppressed_reason == "frequency_cap"
    cancelled = make_customer("王五")
    message = care(cancelled, "2026-11-01 10:00")
    ScheduledMessage.objects.filter(pk=message.pk).update(status=Status.CANCELLED)
    assert care(cancelled, "2026-11-02 10:00").status == Status.SCHEDULED


def test_service_messages_ignore_the_cap_and_do_not_count():
    customer = make_customer()
    care(customer, "2026-11-10 10:00")
    ack = care(customer, "2026-11-11 10:00", purpose="complaint_ack", marketing=False)
    assert ack.status == Status.SCHEDULED
    other = make_customer("李四")
    care(other, "2026-11-10 10:00", purpose="complaint_ack", marketing=False)
    assert care(other, "2026-11-11 10:00").status == Status.SCHEDULED


def test_frequency_window_setting(settings):
    settings.CARELOOP_MESSAGE_FREQUENCY_DAYS = 3
    customer = make_customer()
    care(customer, "2026-11-10 10:00")
    assert care(customer, "2026-11-12 10:00").status == Status.SUPPRESSED
    assert care(customer, "2026-11-13 10:00").status == Status.SCHEDULED


def test_frequency_capped_customer_ids():
    a, b, c = make_customer("甲"), make_customer("乙"), make_customer("丙")
    care(a, "2026-11-20 10:00")
    care(b, "2026-11-13 10:00")  # 7 days before: free again
    care(c, "2026-11-19 10:00", marketing=False, purpose="complaint_ack")
    ids = [a.pk, b.pk, c.pk]
    assert frequency_capped_customer_ids(ids, at("2026-11-20 15:00")) == {a.pk}
    assert frequency_capped_customer_ids(ids, at("2026-11-19 15:00")) == {a.pk, b.pk}


# Opt-out (回复 T 退订) and do-not-contact


@pytest.mark.parametrize("reply", ["T", " t ", "TD", "td", "退订", "退订。"])
def test_inbound_t_opts_out_and_suppresses_marketing(reply):
    customer = make_customer(phone="13800001111")
    pending = care(customer, "2026-11-20 10:00")
    result = message_inbound_record(phone="+86 138 0000 1111", body=reply)
    assert result.opted_out is True
    assert [c.pk for c in result.customers] == [customer.pk]
    assert MessageOptOut.objects.get(customer=customer).channel == ""
    pending.refresh_from_db()
    assert (pending.status, pending.suppressed_reason) == (Status.SUPPRESSED, "opt_out")
    later = care(customer, "2026-12-20 10:00")
    assert (later.status, later.suppressed_reason) == (Status.SUPPRESSED, "opt_out")
    service = care(customer, "2026-12-21 10:00", purpose="complaint_ack", marketing=False)
    assert service.status == Status.SCHEDULED
    assert opted_out_customer_ids([customer.pk]) == {customer.pk}
    assert AuditLog.objects.filter(action="message.opt_out", customer_id=customer.pk).count() == 1
    reply_on_timeline = Interaction.objects.get(customer=customer, kind="message")
    assert reply_on_timeline.text == f"客户回复:{reply.strip()}"


def test_inbound_other_text_is_recorded_but_opts_nobody_out():
    customer = make_customer(phone="13800001112")
    result = message_inbound_record(phone="13800001112", body="谢谢,收到了")
    assert result.opted_out is False
    assert not MessageOptOut.objects.exists()
    assert Interaction.objects.get(customer=customer).text == "客户回复:谢谢,收到了"


def test_inbound_reply_threatening_12315_is_a_high_risk_contact():
    customer = make_customer(phone="13800001114")
    message_inbound_record(phone="13800001114", body="再不给我退款我就去12315投诉你们")
    reply = Interaction.objects.get(customer=customer)
    assert reply.high_risk is True
    assert "12315" in reply.emotion_cues


def test_inbound_twice_keeps_one_opt_out():
    customer = make_customer(phone="13800001113")
    message_inbound_record(phone="13800001113", body="T")
    message_inbound_record(phone="13800001113", body="T")
    assert MessageOptOut.objects.filter(customer=customer).count() == 1
    assert AuditLog.objects.filter(action="message.opt_out").count() == 1


def test_inbound_unknown_number_changes_nothing():
    result = message_inbound_record(phone="13900009999", body="T")
    assert result.customers == []
    assert not MessageOptOut.objects.exists()


def test_inbound_bad_phone_names_the_field():
    with pytest.raises(DomainError) as exc:
        message_inbound_record(phone="12", body="T")
    assert exc.value.field == "phone"


def test_channel_opt_out_blocks_only_that_channel():
    customer = make_customer()
    MessageOptOut.objects.create(customer=customer, channel="sms", source="agent")
    assert care(customer, "2026-11-10 10:00").suppressed_reason == "opt_out"
    assert care(customer, "2026-11-10 10:00", channel="wechat").status == Status.SCHEDULED
    assert opted_out_customer_ids([customer.pk], channel="wechat") == set()
    assert opted_out_customer_ids([customer.pk], channel="sms") == {customer.pk}


def test_do_not_contact_gets_no_marketing_but_service_messages():
    customer = make_customer(do_not_contact=True)
    marketing = care(customer, "2026-11-10 10:00")
    assert (marketing.status, marketing.suppressed_reason) == (Status.SUPPRESSED, "do_not_contact")
    apology = care(customer, "2026-11-10 10:00", purpose="complaint_apology", marketing=False)
    assert apology.status == Status.SCHEDULED


# Validation


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"body": "   "}, "body"),
        ({"body": "字" * 1001}, "body"),
        ({"purpose": ""}, "purpose"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(kwargs, field):
    customer = make_customer()
    with pytest.raises(DomainError) as exc:
        care(customer, "2026-11-10 10:00", **kwargs)
    assert exc.value.field == field
    assert not ScheduledMessage.objects.exists()


# Bulk (the planner)


def test_bulk_applies_every_rule_in_constant_queries(django_assert_num_queries):
    free = [make_customer(f"客户{i}") for i in range(5)]
    capped = make_customer("已发过")
    care(capped, "2026-11-18 10:00")
    opted = make_customer("退订者")
    MessageOptOut.objects.create(customer=opted, channel="", source="reply")
    dnc = make_customer("免打扰", do_not_contact=True)
    when = at("2026-11-20 22:00")
    rows = [
        MessageDraft(
            customer_id=c.pk,
            purpose="holiday",
            body="节日快乐",
            marketing=True,
            not_before=when,
            source_type="callback_task",
            source_id=i,
        )
        for i, c in enumerate([*free, capped, opted, dnc])
    ]
    rows.append(
        MessageDraft(
            customer_id=free[0].pk,
            purpose="birthday",
            body="生日快乐",
            marketing=True,
            not_before=when,
        )
    )
    rows.append(
        MessageDraft(customer_id=dnc.pk, purpose="complaint_apology", body="抱歉", not_before=when)
    )
    with django_assert_num_queries(5):  # savepoint, customers+opt-outs, cap window, insert, release
        created = messages_schedule_bulk(rows)
    assert len(created) == 10
    assert all(m.pk for m in created)
    assert {m.send_at for m in created} == {utc("2026-11-21 09:00")}
    outcome = [(m.customer_id, m.status, m.suppressed_reason) for m in created]
    assert outcome[:5] == [(c.pk, "scheduled", "") for c in free]
    assert outcome[5:] == [
        (capped.pk, "suppressed", "frequency_cap"),
        (opted.pk, "suppressed", "opt_out"),
        (dnc.pk, "suppressed", "do_not_contact"),
        (free[0].pk, "suppressed", "frequency_cap"),  # second in the same batch
        (dnc.pk, "scheduled", ""),  # service message
    ]
    assert created[0].source_type == "callback_task" and created[0].source_id == 0


def test_bulk_bad_row_writes_nothing():
    customer = make_customer()
    rows = [
        MessageDraft(customer_id=customer.pk, purpose="holiday", body="节日快乐"),
        MessageDraft(customer_id=customer.pk, purpose="holiday", body=""),
    ]
    with pytest.raises(DomainError, match="第 2 条消息") as exc:
        messages_schedule_bulk(rows)
    assert exc.value.field == "body"
    assert not ScheduledMessage.objects.exists()


# Dispatch


def test_dispatch_sends_due_messages_to_the_timeline_once():
    customer = make_customer()
    due = care(customer, "2026-11-10 10:00", body="好久不见")
    later = care(
        make_customer("李四"),
        "2026-11-10 12:00",
        marketing=False,
        purpose="notice",
        body="明天上午回访",
    )
    now = utc("2026-11-10 11:00")
    result = messages_dispatch(now=now)
    assert (result.sent, result.suppressed, result.ids) == (1, 0, [due.pk])
    due.refresh_from_db()
    assert (due.status, due.sent_at) == (Status.SENT, now)
    entry = Interaction.objects.get(customer=customer)
    assert (entry.kind, entry.channel, entry.text) == ("message", "sms", "好久不见 回T退订")
    assert (entry.emotion, entry.high_risk) == ("neutral", False)  # our words, not the customer's
    assert entry.occurred_at == now
    again = messages_dispatch(now=now)
    assert again.sent == 0
    assert Interaction.objects.count() == 1
    later.refresh_from_db()
    assert later.status == Status.SCHEDULED


def test_dispatch_suppresses_what_became_blocked_since_planning():
    customer = make_customer(phone="13800002222")
    message = care(customer, "2026-11-10 10:00")
    MessageOptOut.objects.create(customer=customer, channel="", source="agent")
    dnc = make_customer("李四")
    other = care(dnc, "2026-11-10 10:00")
    type(dnc).objects.filter(pk=dnc.pk).update(do_not_contact=True)
    result = messages_dispatch(now=utc("2026-11-10 11:00"))
    assert (result.sent, result.suppressed) == (0, 2)
    message.refresh_from_db()
    other.refresh_from_db()
    assert (message.status, message.suppressed_reason) == ("suppressed", "opt_out")
    assert (other.status, other.suppressed_reason) == ("suppressed", "do_not_contact")
    assert not Interaction.objects.exists()


def test_dispatch_in_batches(django_assert_max_num_queries):
    customers = [make_customer(f"客户{i}") for i in range(7)]
    for c in customers:
        care(c, "2026-11-10 10:00", marketing=False, purpose="notice")
    result = messages_dispatch(now=utc("2026-11-10 11:00"), batch_size=3)
    assert result.sent == 7
    assert ScheduledMessage.objects.filter(status="sent").count() == 7


def test_dispatch_job_runs_the_service():
    from careloop.messaging.tasks import message_dispatch_job

    customer = make_customer()
    care(customer, "2026-11-10 10:00", marketing=False, purpose="notice")
    with frozen(utc("2026-11-10 11:00")):
        message_dispatch_job.call_local()
    assert ScheduledMessage.objects.get().status == Status.SENT


def test_custom_sender_setting(settings):
    settings.CARELOOP_MESSAGE_SENDER = "careloop.messaging.tests.test_services.RecordingSender"
    RecordingSender.sent.clear()
    customer = make_customer()
    message = care(customer, "2026-11-10 10:00", marketing=False, purpose="notice")
    messages_dispatch(now=utc("2026-11-10 11:00"))
    assert RecordingSender.sent == [message.pk]
    assert not Interaction.objects.exists()


class RecordingSender:
    sent: list[int] = []

    def send(self, messages, *, now):
        self.sent.extend(m.pk for m in messages)


def test_cancel_by_source():
    customer = make_customer()
    a = care(
        customer,
        "2026-11-10 10:00",
        marketing=False,
        purpose="complaint_ack",
        source_type="complaint",
        source_id=7,
    )
    care(
        customer,
        "2026-11-10 10:00",
        marketing=False,
        purpose="complaint_ack",
        source_type="complaint",
        source_id=8,
    )
    assert messages_cancel(source_type="complaint", source_id=7) == 1
    a.refresh_from_db()
    assert a.status == Status.CANCELLED
    assert ScheduledMessage.objects.filter(status="scheduled").count() == 1


def test_send_at_is_stored_utc():
    customer = make_customer()
    message = care(customer, "2026-11-10 10:00")
    assert message.send_at.utcoffset() == timedelta(0)


def test_dispatch_holds_overdue_messages_during_quiet_hours():
    customer = make_customer()
    overdue = care(customer, "2026-11-10 20:00", marketing=False, purpose="notice")
    urgent = care(
        customer, "2026-11-10 23:00", marketing=False, purpose="complaint_ack",
        respect_quiet_hours=False,
    )  # fmt: skip
    late_night = messages_dispatch(now=utc("2026-11-10 23:30"))
    assert late_night.ids == [urgent.pk]
    overdue.refresh_from_db()
    assert overdue.status == Status.SCHEDULED
    morning = messages_dispatch(now=utc("2026-11-11 09:00"))
    assert morning.ids == [overdue.pk]


def test_agent_opt_out_on_one_channel_suppresses_only_that_channel(agent_li):
    from careloop.messaging.services import message_opt_out_record

    customer = make_customer()
    sms = care(customer, "2026-11-20 10:00")
    wechat = care(customer, "2026-11-30 10:00", channel="wechat")
    assert message_opt_out_record(actor=agent_li, customer=customer, channel="sms") is True
    assert message_opt_out_record(actor=agent_li, customer=customer, channel="sms") is False
    sms.refresh_from_db()
    wechat.refresh_from_db()
    assert (sms.status, wechat.status) == (Status.SUPPRESSED, Status.SCHEDULED)
    with pytest.raises(DomainError) as exc:
        message_opt_out_record(actor=agent_li, customer=customer, channel="fax")
    assert exc.value.field == "channel"


def test_only_supervisors_restore_marketing(agent_li, supervisor_zhao):
    from careloop.core.errors import PermissionDenied
    from careloop.messaging.services import message_opt_out_remove

    customer = make_customer()
    opt_out = MessageOptOut.objects.create(customer=customer, source="reply")
    with pytest.raises(PermissionDenied):
        message_opt_out_remove(actor=agent_li, opt_out=opt_out)
    assert MessageOptOut.objects.exists()
    message_opt_out_remove(actor=supervisor_zhao, opt_out=opt_out)
    assert not MessageOptOut.objects.exists()
    assert care(customer, "2026-11-20 10:00").status == Status.SCHEDULED


def test_dispatch_suppresses_messages_without_an_address():
    no_phone = make_customer("无手机", phone="")
    no_email = make_customer("无邮箱")
    sms = care(no_phone, "2026-11-10 10:00", marketing=False, purpose="complaint_ack")
    email = care(no_email, "2026-11-10 10:00", channel="email")
    result = messages_dispatch(now=utc("2026-11-10 11:00"))
    assert (result.sent, result.suppressed) == (0, 2)
    sms.refresh_from_db()
    email.refresh_from_db()
    assert (sms.status, sms.suppressed_reason) == ("suppressed", "no_address")
    assert (email.status, email.suppressed_reason) == ("suppressed", "no_address")
