from datetime import timedelta

import pytest

from careloop.accounts.models import AuditLog
from careloop.complaints import services
from careloop.complaints.models import Complaint, ComplaintEvent
from careloop.core.errors import DomainError
from careloop.customers.models import Customer

from .factories import at, frozen, make_customer, make_ticket


def test_numbers_count_per_day_in_shanghai(db, outbox):
    with frozen("2026-11-25 23:50"):
        first = make_ticket()
        second = make_ticket()
    with frozen("2026-11-26 00:10"):  # 16:10 UTC on the 25th, the 26th in Shanghai
        third = make_ticket()
    assert [first.number, second.number, third.number] == [
        "TS20261125-0001",
        "TS20261125-0002",
        "TS20261126-0001",
    ]


def test_intake_matches_customer_by_phone_or_email_or_creates_one(db, outbox):
    known = make_customer("王芳", phone="13812345678", email="wf@example.com")
    by_phone = make_ticket(phone="138 1234 5678", name="随便")
    by_email = make_ticket(email="WF@example.com")
    new = make_ticket(phone="13900001111", name="刘强")
    assert by_phone.customer == known
    assert by_email.customer == known
    assert new.customer.name == "刘强"
    assert new.customer.phone == "+8613900001111"
    assert Customer.objects.count() == 2


def test_intake_refuses_bad_input_and_writes_nothing(db, outbox):
    with pytest.raises(DomainError) as exc:
        make_ticket(severity="D")
    assert exc.value.field == "severity"
    with pytest.raises(DomainError) as exc:
        make_ticket(description="  ")
    assert (exc.value.field, exc.value.message) == ("description", "请填写投诉描述")
    with pytest.raises(DomainError) as exc:
        make_ticket(phone="12345")
    assert exc.value.field == "phone"
    with pytest.raises(DomainError) as exc:
        services.complaint_create(actor=None, channel="phone", severity="A", description="坏了")
    assert exc.value.field == "phone"
    assert Complaint.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0


def test_sla_clock_starts_at_intake_from_the_default_policy(db, outbox):
    with frozen("2026-11-25 10:00") as t:
        a = make_ticket(severity="A")
        b = make_ticket(severity="B")
        c = make_ticket(severity="C")
    assert a.first_response_due - t.now == timedelta(hours=2)
    assert a.first_response_warn_at - t.now == timedelta(minutes=96)
    assert a.first_response_head_at - t.now == timedelta(hours=3)
    assert b.first_response_due - t.now == timedelta(hours=24)
    assert c.first_response_due - t.now == timedelta(hours=48)
    assert c.resolution_due - t.now == timedelta(hours=120)
    assert (a.stage, a.status) == ("new", "open")


def test_repeat_complaint_within_90_days_is_linked_and_flagged(db, outbox):
    customer = make_customer()
    with frozen("2026-06-01 10:00"):
        old = make_ticket(customer=customer, category="物流延误")
    with frozen("2026-08-20 10:00"):
        other = make_ticket(customer=customer, category="产品质量")
        again = make_ticket(customer=customer, category="物流延误")
    with frozen("2026-12-01 10:00"):  # 103 days after the 2nd 物流延误... 2026-08-20 + 90 = 11-18
        late = make_ticket(customer=customer, category="物流延误")
    assert (again.is_repeat, again.repeat_of) == (True, old)
    assert (other.is_repeat, other.repeat_of) == (False, None)
    assert (late.is_repeat, late.repeat_of) == (False, None)


def test_online_complaint_gets_the_acknowledgement_once(
    db, outbox, django_capture_on_commit_callbacks
):
    with frozen("2026-11-25 22:30"), django_capture_on_commit_callbacks(execute=True):
        online = make_ticket(channel="online")
        make_ticket(channel="phone")
    online.refresh_from_db()
    assert online.ack_sent_at is not None
    assert [p for p, _c, _b in outbox] == ["complaint_ack"]
    assert "TS20261125-0001" in outbox[0][2]
    assert services.complaint_ack_send(complaint=online) is False
    assert len(outbox) == 1


def test_intake_is_audited(db, outbox, agent_li):
    complaint = make_ticket(actor=agent_li)
    log = AuditLog.objects.get(action="complaint.create")
    assert (log.actor, log.customer_id, log.detail["number"]) == (
        agent_li,
        complaint.customer_id,
        complaint.number,
    )
    assert complaint.assignee == agent_li
    assert str(log.action_label) == "受理投诉"


def test_attachments_are_stored_and_limited(db, outbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = services.Attachment(name="漏水.jpg", content=b"\xff\xd8jpeg", content_type="image/jpeg")
    complaint = make_ticket(attachments=[photo])
    stored = complaint.attachments.get()
    assert (stored.name, stored.size) == ("漏水.jpg", 6)
    assert stored.file.read() == b"\xff\xd8jpeg"
    with pytest.raises(DomainError) as exc:
        make_ticket(attachments=[services.Attachment(name="a.exe", content=b"MZ")])
    assert (exc.value.field, exc.value.message) == ("attachments", "不支持的附件类型:a.exe")
    big = services.Attachment(name="big.pdf", content=b"0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(DomainError) as exc:
        make_ticket(attachments=[big])
    assert exc.value.message == "附件 big.pdf 超过 10 MB"
    assert Complaint.objects.count() == 1


def test_ack_and_progress_go_through_messaging(db, agent_li, django_capture_on_commit_callbacks):
    from careloop.messaging.models import ScheduledMessage

    with frozen("2026-11-25 23:30") as t:
        with django_capture_on_commit_callbacks(execute=True):
            complaint = make_ticket(channel="wechat")
        t.set("2026-11-26 10:00")
        services.complaint_progress_send(complaint=complaint, user=agent_li, text="已安排补发")
    ack, progress = ScheduledMessage.objects.order_by("id")
    assert (ack.purpose, ack.source_type) == ("complaint_ack", "complaint")
    assert ack.source_id == complaint.pk
    assert ack.respect_quiet_hours is False  # the 1 h acknowledgement goes out at night too
    assert ack.send_at == at("2026-11-25 23:30")
    assert (progress.purpose, progress.respect_quiet_hours) == ("complaint_progress", True)
    assert "已安排补发" in progress.body


def test_numbers_are_unique_under_concurrent_intake(transactional_db, outbox):
    """Four intakes at once on the same day: four different numbers, none lost."""
    import threading

    from django.db import connection

    customer = make_customer()
    numbers: list[str] = []
    errors: list[Exception] = []

    def intake():
        try:
            numbers.append(make_ticket(customer=customer).number)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    with frozen("2026-11-25 10:00"):
        threads = [threading.Thread(target=intake) for _i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(numbers) == [f"TS20261125-{n:04d}" for n in range(1, 5)]
