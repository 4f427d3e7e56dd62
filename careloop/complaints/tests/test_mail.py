"""E-mail intake: GBK and UTF-8 MIME mail, through the SMTP server and a maildir."""

import mailbox
import smtplib
import socket
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from careloop.complaints.mail import ComplaintSMTPHandler, complaint_from_email, mailbox_poll
from careloop.complaints.models import Complaint

from .factories import make_customer


def gbk_mail(*, sender="客户 <kehu@example.com>", subject="保温杯漏水,质量太差", body=None):
    msg = MIMEMultipart()
    name, _sep, address = sender.partition(" <")
    msg["From"] = f"{Header(name, 'gbk').encode()} <{address}"
    msg["To"] = "complaints@careloop.test"
    msg["Subject"] = Header(subject, "gbk")
    msg["Message-ID"] = "<abc123@example.com>"
    text = body or "你好,上周买的保温杯漏水,请尽快处理。我的手机 13812345678。"
    msg.attach(MIMEText(text, "plain", "gbk"))
    photo = MIMEApplication(b"\xff\xd8photo", Name="漏水照片.jpg")
    photo.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "漏水照片.jpg"))
    msg.attach(photo)
    virus = MIMEApplication(b"MZ", Name="run.exe")
    virus.add_header("Content-Disposition", "attachment", filename="run.exe")
    msg.attach(virus)
    return msg.as_bytes()


def test_gbk_mail_becomes_a_complaint(db, outbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    known = make_customer("王芳", phone="13812345678")
    complaint = complaint_from_email(gbk_mail())
    assert complaint.customer == known  # the mobile number in the text
    assert (complaint.channel, complaint.severity) == ("email", "B")
    assert complaint.subject == "保温杯漏水,质量太差"
    assert complaint.description.startswith("你好,上周买的保温杯漏水")
    assert "(未保存的附件:run.exe)" in complaint.description
    assert complaint.contact_email == "kehu@example.com"
    assert [a.name for a in complaint.attachments.all()] == ["漏水照片.jpg"]
    assert complaint_from_email(gbk_mail()) == complaint  # same Message-ID
    assert Complaint.objects.count() == 1


def test_utf8_mail_from_a_new_sender_creates_the_customer(db, outbox):
    msg = MIMEText("设备停机,无法使用!", "plain", "utf-8")
    msg["From"] = f"{Header('李雷', 'utf-8').encode()} <lilei@example.com>"
    msg["Subject"] = Header("紧急", "utf-8")
    complaint = complaint_from_email(msg.as_bytes())
    assert (complaint.customer.name, complaint.customer.email) == ("李雷", "lilei@example.com")
    assert complaint.severity == "A"


@pytest.fixture
def smtp_server(transactional_db):
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port (aiosmtpd cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(ComplaintSMTPHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port
    controller.stop()


def test_mail_sent_to_the_smtp_server_is_received(smtp_server, outbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    host, port = smtp_server
    with smtplib.SMTP(host, port) as smtp:
        raw = gbk_mail().replace(b"\n", b"\r\n")  # smtplib sends bytes as they are
        smtp.sendmail("kehu@example.com", ["complaints@careloop.test"], raw)
    complaint = Complaint.objects.get()
    assert complaint.subject == "保温杯漏水,质量太差"
    assert complaint.customer.phone == "+8613812345678"
    assert complaint.number.startswith("TS")


def test_maildir_poll_reads_new_mail_once(db, outbox, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    box.add(gbk_mail())
    box.add(b"From: nobody\r\nSubject: x\r\n\r\nno address")
    assert mailbox_poll(str(tmp_path / "inbox")) == {"created": 1, "refused": 1}
    assert mailbox_poll(str(tmp_path / "inbox")) == {"created": 0, "refused": 0}
    assert Complaint.objects.count() == 1


def test_poll_command_reads_the_mailbox(db, outbox, tmp_path, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.MEDIA_ROOT = tmp_path / "media"
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    box.add(gbk_mail())
    out = StringIO()
    call_command("complaint_mail", "--poll", "--mailbox", str(tmp_path / "inbox"), stdout=out)
    assert out.getvalue().strip() == "新建投诉 1 条,拒收 0 封"
