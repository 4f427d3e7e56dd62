"""`careloop serve`: the web server and the background worker in one command (embedded mode).

The embedded database is migrated first. Both run as child processes (`careloop runserver
--noreload` and `careloop worker`); this process watches them. Ctrl-C (or SIGTERM) stops both;
if one of them exits, the other is stopped too. Production runs `gunicorn careloop.wsgi` and
`careloop worker` under a process manager.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from careloop.demo.generator import demo_logins
from careloop.demo.text import logins_line

STOP_GRACE_SECONDS = 8


class Stop(Exception):
    """SIGTERM arrived: stop like Ctrl-C."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised by the subprocess test
    raise Stop


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def spawn(args: list[str]) -> subprocess.Popen:
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "careloop", *args], env=env)


def stop(processes: dict[str, subprocess.Popen]) -> None:
    """Give the children a moment (Ctrl-C reached them too), then SIGINT, then kill."""
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline and any(p.poll() is None for p in processes.values()):
        time.sleep(0.1)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Command(BaseCommand):
    help = "启动网页服务和后台任务进程（内嵌模式；Ctrl-C 同时停止两者）"
    requires_system_checks = []  # the child processes run them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help=_("监听地址（默认 127.0.0.1）"))
        parser.add_argument("--port", type=int, default=8000, help=_("端口（默认 8000）"))
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help=_("不启动后台任务进程（另行运行 careloop worker）"),
        )

    def handle(self, *args, **options) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError(
                _(
                    "生产模式（CARELOOP_ENV=production）不使用 careloop serve："
                    "请用 gunicorn careloop.wsgi 运行网页进程，并用 careloop worker 运行后台任务。"
                )
            )
        host, port = options["host"], options["port"]
        if not port_free(host, port):
            raise CommandError(
                _("端口 %(port)d 已被占用；请用 --port 换一个端口。") % {"port": port}
            )
        # Embedded mode: the worker's per-minute jobs need the tables before it starts.
        call_command("migrate", interactive=False, verbosity=0)
        self.print_logins()
        processes: dict[str, subprocess.Popen] = {}
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
        failed = ""
        try:
            if not options["no_worker"]:
                processes["worker"] = spawn(["worker"])
            processes["web"] = spawn(["runserver", f"{host}:{port}", "--noreload"])
            url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
            self.stdout.write(
                _("CareLoop 已启动：%(url)s（按 Ctrl-C 停止）") % {"url": url}, self.style.SUCCESS
            )
            failed = self.watch(processes)
        except (KeyboardInterrupt, Stop):
            self.stdout.write(_("正在停止网页服务和后台任务…"))
        finally:
            # A second Ctrl-C (or the terminal's SIGINT arriving twice) must not cut the
            # clean-up short and leave a child running.
            previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            stop(processes)
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous)
        if failed:
            raise CommandError(failed)
        self.stdout.write(_("已停止。"))

    def watch(self, processes: dict[str, subprocess.Popen]) -> str:
        """Wait until a child exits; returns why, as a message for the user."""
        names = {"web": _("网页服务"), "worker": _("后台任务进程")}
        while True:
            for name, process in processes.items():
                code = process.poll()
                if code is not None:
                    return _("%(name)s已退出（代码 %(code)s），其余进程已停止。") % {
                        "name": names[name],
                        "code": code,
                    }
            time.sleep(0.3)

    def print_logins(self) -> None:
        try:
            logins = demo_logins()
        except DatabaseError:
            return  # not migrated yet: the web server says so
        if logins:
            self.stdout.write(logins_line(logins))
