import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from careloop.callbacks.models import CallbackRecord
from careloop.care.models import CallbackTask
from careloop.core import clock
from careloop.customers.models import Customer, Order
from careloop.customers.services import customer_create


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_generates_and_prints_the_logins(db):
    output = run_demo("--customers", "40", "--seed", "3", "--as-of", "2025-06-30")
    assert Customer.objects.count() == 40
    assert "截至 2025-06-30" in output
    lines = output.splitlines()
    header = lines.index("演示账号：") + 1
    assert lines[header].split() == ["角色", "用户名", "密码", "团队"]
    assert lines[header + 1].split() == ["管理员", "admin", "careloop123", "—"]
    assert lines[header + 2].split() == ["主管", "supervisor", "careloop123", "华东一组"]
    assert lines[header + 3].split() == ["客服专员", "agent1", "careloop123", "华东一组"]
    assert lines[header + 4].split() == ["客服专员", "agent2", "careloop123", "华南一组"]
    assert lines[header + 5].split() == ["客服专员", "agent3", "careloop123", "华北一组"]
    work = next(line for line in lines if line.startswith("已回放"))
    tasks_today = CallbackTask.objects.open().filter(due_at__lt=clock.day_end(date(2025, 6, 30)))
    assert f"今日待回访任务 {tasks_today.count()}（" in work
    assert f"回访记录 {CallbackRecord.objects.count()}、" in work
    assert "待响应 3、" in work and "已重开 1；" in work
    assert "退订 2；保存的分群 2 个。" in work


def test_if_empty_leaves_existing_data_alone(db, admin_wang):
    customer_create(actor=admin_wang, name="张三", phone="13812345678", external_id="C1")
    output = run_demo("--customers", "30", "--if-empty")
    assert "跳过" in output
    assert list(Customer.objects.values_list("external_id", flat=True)) == ["C1"]
    assert not Order.objects.exists()


def test_if_empty_generates_into_an_empty_database_then_prints_logins_again(db):
    run_demo("--customers", "25", "--if-empty")
    assert Customer.objects.count() == 25
    output = run_demo("--customers", "25", "--if-empty")
    assert Customer.objects.count() == 25
    assert "agent2" in output


def test_reset_replaces_the_demo_data_and_keeps_other_customers(db, admin_wang):
    customer_create(actor=admin_wang, name="张三", phone="13812345678", external_id="C1")
    run_demo("--customers", "30", "--seed", "1")
    with pytest.raises(CommandError, match="--reset"):
        run_demo("--customers", "30")
    run_demo("--customers", "20", "--seed", "2", "--reset")
    assert Customer.objects.count() == 21
    assert Customer.objects.filter(external_id="C1").exists()


def test_bad_arguments_are_refused(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run_demo("--as-of", "2025-13-01")
    with pytest.raises(CommandError, match="客户数量"):
        run_demo("--customers", "0")
    assert not Customer.objects.exists()


def test_serve_refuses_production_mode(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match=r"gunicorn careloop\.wsgi"):
        call_command("serve")


def test_serve_refuses_a_busy_port(db):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"端口 {port} 已被占用"):
            call_command("serve", "--port", str(port))


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_serve_runs_web_and_worker_and_ctrl_c_stops_both(tmp_path):
    """The real thing: a child web server and worker, Ctrl-C twice, nothing left running."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARELOOP_")}
    env |= {"CARELOOP_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "careloop", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True)
    reader.start()
    try:
        status = None
        deadline = time.monotonic() + 90  # a loaded CI machine starts Django slowly
        while time.monotonic() < deadline:
            if status is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
                        status = page.status
                except OSError:
                    pass
            # Ctrl-C before the worker finished starting is a different story (tested by hand);
            # here both children must be up.
            if status is not None and any("consumer started" in line for line in list(lines)):
                break
            time.sleep(0.25)
        assert status == 200, "".join(lines)
        kids = children(server.pid)
        assert len(kids) == 2  # web server and worker
        # Ctrl-C reaches the whole group; an impatient user presses it twice.
        os.killpg(server.pid, signal.SIGINT)
        time.sleep(0.3)
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)
        reader.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    output = "".join(lines)
    assert server.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "已停止" in output
    assert "Traceback" not in output
    assert not any(alive(pid) for pid in kids)


@pytest.mark.parametrize("command", ["demo", "serve", "import"])
def test_help_prints(command, capsys):
    from careloop.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["careloop", command, "--help"])
    assert exit_info.value.code == 0
    assert f"careloop {command}" in capsys.readouterr().out
