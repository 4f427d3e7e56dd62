"""`careloop emotion TEXT... [--json]` and `--backfill`."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from careloop.customers.models import Interaction
from careloop.customers.tests.factories import make_contact, make_customer

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(sys.executable).parent / "careloop"  # .venv/bin/careloop, the console script
CARELOOP = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "careloop"]
KEYS = ["text", "emotion", "polarity", "intensity", "high_risk", "cues"]


def run(*args) -> str:
    out = StringIO()
    call_command("emotion", *args, stdout=out)
    return out.getvalue()


def test_json_is_one_list_in_order():
    body = json.loads(run("再不處理就起訴你們", "谢谢你们", "", "--json"))
    assert [list(item) for item in body] == [KEYS] * 3
    assert body[0] == {
        "text": "再不處理就起訴你們",
        "emotion": "angry",
        "polarity": "negative",
        "intensity": 0.7,
        "high_risk": True,
        "cues": ["起訴"],
    }
    assert [b["emotion"] for b in body[1:]] == ["satisfied", "neutral"]


def test_table_in_chinese():
    lines = run("我要去消协投诉", "请问发货了吗").splitlines()
    assert lines[0].split("\t") == ["情绪", "极性", "强度", "高风险", "线索", "文本"]
    assert lines[1].split("\t") == ["愤怒", "负面", "0.70", "高风险", "消协", "我要去消协投诉"]
    assert lines[2].split("\t") == ["中性", "中性", "0.00", "—", "—", "请问发货了吗"]


def test_no_text_is_an_error():
    with pytest.raises(CommandError, match="请提供至少一段文本"):
        run("--json")


def test_texts_from_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", StringIO("我要退货\n谢谢\n"))
    body = json.loads(run("-", "--json"))
    assert [(b["text"], b["high_risk"]) for b in body] == [("我要退货", True), ("谢谢", False)]


@pytest.mark.django_db
def test_backfill(team_east):
    zhang = make_customer("张三", team=team_east)
    make_contact(zhang, "consult", "2026-01-01", text="我要去12315")
    make_contact(zhang, "consult", "2026-11-01", text="找律师起诉")
    assert run("--backfill", "--since", "2026-06-01") == "已分析接触记录 1 条\n"
    assert json.loads(run("--backfill", "--json")) == {"changed": 1}
    assert Interaction.objects.filter(high_risk=True).count() == 2
    with pytest.raises(CommandError, match="--since 应为 YYYY-MM-DD:6月1日"):
        run("--backfill", "--since", "6月1日")


def test_console_script_prints_only_json(tmp_path):
    env = {**os.environ, "CARELOOPOOP_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [*CARELOOP, "emotion", "我要去消協投訴", "点赞👍", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    body = json.loads(done.stdout)
    assert [(b["emotion"], b["high_risk"], b["cues"]) for b in body] == [
        ("angry", True, ["消協"]),
        ("satisfied", False, ["点赞", "👍"]),
    ]
    failed = subprocess.run(
        [*CARELOOP, "emotion", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert failed.returncode != 0
    assert failed.stdout == ""
    assert "请提供至少一段文本" in failed.stderr
