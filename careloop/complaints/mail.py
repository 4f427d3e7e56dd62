"""Complaints by e-mail: one parser (`complaint_from_email`) behind both doors — the mailbox
reader (CARELOOP_COMPLAINT_MAILBOX: an IMAP URL or a maildir path, polled by the worker or
`careloop complaint_mail --poll`) and an SMTP server (aiosmtpd) that receives mail directly.

Chinese mail comes as GBK/GB2312 or UTF-8, in MIME parts, with RFC 2047/2231 encoded names."""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import html
import imaplib
import logging
import mailbox
import os
import re
from email.message import Message
from email.utils import getaddresses, parseaddr
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.db import close_old_connections
from django.utils.translation import gettext as _

from careloop.complaints import services
from careloop.complaints.models import Complaint
from careloop.core.errors import DomainError

log = logging.getLogger(__name__)

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
TAGS = re.compile(r"<[^>]+>")
URGENT = ("停产", "停机", "无法使用", "紧急", "不能用")
DEFECT = ("质量", "故障", "损坏", "坏了", "漏水", "破损", "缺件")
CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = (part.get_content_charset() or "utf-8").lower()
    charset = CHARSET_ALIASES.get(charset, charset)
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _severity(text: str) -> str:
    if any(word in text for word in URGENT):
        return "A"
    if any(word in text for word in DEFECT):
        return "B"
    return "C"


def parse_email(message_bytes: bytes) -> dict:
    """Sender, subject, plain-text body and attachments of a raw RFC 5322 message."""
    msg = email.message_from_bytes(message_bytes, policy=email.policy.compat32)
    decode = email.policy.default.header_factory
    subject = str(decode("subject", msg.get("Subject", ""))).strip()
    from_header = str(decode("from", msg.get("From", "")))
    name, address = parseaddr(from_header)
    if not address:
        found = getaddresses([from_header])
        name, address = found[0] if found else ("", "")
    plain, rich, attachments = [], [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename:
            filename = str(decode("x-filename", filename))
            attachments.append(
                services.Attachment(
                    name=filename,
                    content=part.get_payload(decode=True) or b"",
                    content_type=part.get_content_type(),
                )
            )
        elif part.get_content_type() == "text/plain":
            plain.append(_text(part))
        elif part.get_content_type() == "text/html":
            rich.append(html.unescape(TAGS.sub(" ", _text(part))))
    body = "\n".join(plain or rich).strip()
    body = re.sub(r"\n{3,}", "\n\n", body.replace("\r\n", "\n"))
    return {
        "message_id": (msg.get("Message-ID") or "").strip(),
        "name": name.strip().strip('"'),
        "email": address.strip().lower(),
        "subject": subject,
        "body": body,
        "attachments": attachments,
    }


def _usable(attachments: list[services.Attachment]) -> tuple[list, list[str]]:
    kept, dropped = [], []
    for a in attachments:
        ext = os.path.splitext(a.name)[1].lower()
        if ext in services.ATTACHMENT_TYPES and len(a.content) <= services.ATTACHMENT_MAX_BYTES:
            kept.append(a)
        else:
            dropped.append(a.name)
    return kept[: services.ATTACHMENT_MAX_COUNT], dropped


def complaint_from_email(message_bytes: bytes) -> Complaint:
    """Turn one e-mail into a complaint (channel `email`); the same message twice (same
    Message-ID) gives the same complaint. The sender is matched by a mobile number in the
    text, then by address, or becomes a new customer."""
    mail = parse_email(message_bytes)
    if "@" not in mail["email"]:
        raise DomainError(_("邮件缺少发件人地址"), field="from")
    key = mail["message_id"] or hashlib.sha256(message_bytes).hexdigest()
    external_id = "mail:" + hashlib.sha256(key.encode()).hexdigest()[:40]
    existing = Complaint.objects.filter(external_id=external_id).first()
    if existing is not None:
        return existing
    attachments, dropped = _usable(mail["attachments"])
    description = mail["body"] or mail["subject"]
    if dropped:
        description += "\n\n" + _("(未保存的附件:%(names)s)") % {"names": "、".join(dropped)}
    phone = MOBILE.search(f"{mail['subject']} {mail['body']}")
    return services.complaint_create(
        actor=None,
        channel="email",
        severity=_severity(f"{mail['subject']} {mail['body']}"),
        description=description or _("(空邮件)"),
        subject=mail["subject"],
        email=mail["email"],
        phone=phone.group(0) if phone else "",
        name=mail["name"],
        external_id=external_id,
        attachments=attachments,
    )


# ---- the mailbox reader -----------------------------------------------------------------------


def mailbox_url() -> str:
    return getattr(settings, "CARELOOP_COMPLAINT_MAILBOX", "") or os.environ.get(
        "CARELOOP_COMPLAINT_MAILBOX", ""
    )


def mailbox_configured() -> bool:
    return bool(mailbox_url())


def _take(raw: bytes) -> bool:
    try:
        complaint_from_email(raw)
    except DomainError as exc:
        log.warning("complaint.mail_refused", extra={"reason": exc.message})
        return False
    return True


def mailbox_poll(url: str | None = None) -> dict[str, int]:
    """Read every new message once: IMAP (imap[s]://user:password@host[:port]/FOLDER, unseen
    messages, marked seen) or a maildir path (messages in new/ move to cur/)."""
    url = url or mailbox_url()
    counts = {"created": 0, "refused": 0}
    if url.startswith(("imap://", "imaps://")):
        messages = _imap_messages(url)
    else:
        messages = _maildir_messages(url)
    for raw in messages:
        counts["created" if _take(raw) else "refused"] += 1
    return counts


def _maildir_messages(path: str):
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in list(box.iterkeys()):
        message = box.get_message(key)
        if message.get_subdir() != "new":
            continue
        yield message.as_bytes()
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message


def _imap_messages(url: str):
    parts = urlparse(url)
    client_class = imaplib.IMAP4_SSL if parts.scheme == "imaps" else imaplib.IMAP4
    client = client_class(parts.hostname, parts.port or (993 if parts.scheme == "imaps" else 143))
    try:
        client.login(unquote(parts.username or ""), unquote(parts.password or ""))
        client.select(unquote(parts.path.strip("/")) or "INBOX")
        _status, data = client.search(None, "UNSEEN")
        for number in (data[0] or b"").split():
            _status, fetched = client.fetch(number, "(RFC822)")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if raw:
                yield raw
                client.store(number, "+FLAGS", "\\Seen")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


# ---- the SMTP door ----------------------------------------------------------------------------


class ComplaintSMTPHandler:
    """aiosmtpd handler: every message delivered to the server becomes a complaint."""

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        raw = envelope.original_content or envelope.content
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(None, _take_closing, raw)
        return "250 OK" if ok else "550 complaint refused"


def _take_closing(raw: bytes) -> bool:
    """Run in a worker thread: its own database connection, closed afterwards."""
    close_old_connections()
    try:
        return _take(raw)
    finally:
        from django.db import connection

        connection.close()
