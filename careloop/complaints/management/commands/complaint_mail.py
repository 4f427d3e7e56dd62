"""`careloop complaint_mail --poll` reads CARELOOP_COMPLAINT_MAILBOX once;
`careloop complaint_mail --smtp 0.0.0.0:2525` receives complaints by SMTP until Ctrl-C."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from careloop.complaints import mail


class Command(BaseCommand):
    help = "邮件投诉:读取投诉邮箱(--poll)或启动 SMTP 接收服务(--smtp 主机:端口)"

    def add_arguments(self, parser):
        parser.add_argument("--poll", action="store_true", help="读取一次投诉邮箱")
        parser.add_argument("--mailbox", default="", help="IMAP 地址或 maildir 路径")
        parser.add_argument("--smtp", default="", help="SMTP 监听地址,例如 127.0.0.1:2525")

    def handle(self, *args, **options):
        if options["smtp"]:
            return self._smtp(options["smtp"])
        url = options["mailbox"] or mail.mailbox_url()
        if not url:
            raise CommandError(_("请设置 CARELOOP_COMPLAINT_MAILBOX 或使用 --mailbox"))
        counts = mail.mailbox_poll(url)
        self.stdout.write(_("新建投诉 %(created)s 条,拒收 %(refused)s 封") % counts)

    def _smtp(self, address: str):
        from aiosmtpd.controller import Controller

        host, _sep, port = address.rpartition(":")
        controller = Controller(
            mail.ComplaintSMTPHandler(), hostname=host or "127.0.0.1", port=int(port)
        )
        controller.start()
        self.stdout.write(
            _("SMTP 投诉接收服务已启动:%(address)s(Ctrl-C 停止)") % {"address": address}
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
