import json
import subprocess
import sys

import pytest
from django.core.management import call_command

from careloop.accounts.models import AuditLog
from careloop.customers.models import Customer
from careloop.imports.tests.factories import CUSTOMERS_ZH, write_csv

pytestmark = pytest.mark.django_db


def cli(*args, capsys):
    code = 0
    try:
        call_command("import", *args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr().out
    return code, out


def test_json_output_is_one_document(tmp_path, capsys):
    path = write_csv(tmp_path, CUSTOMERS_ZH)
    code, out = cli("customers", str(path), "--json", capsys=capsys)
    data = json.loads(out)
    assert code == 0
    assert (data["created"], data["updated"], data["written"]) == (2, 0, True)
    assert data["errors"] == []
    code, out = cli("customers", str(path), "--json", capsys=capsys)
    assert (json.loads(out)["created"], json.loads(out)["unchanged"]) == (0, 2)
    assert AuditLog.objects.filter(action="import.run").count() == 2


def test_json_errors_are_objects_and_exit_1(tmp_path, capsys):
    rows = [CUSTOMERS_ZH[0], ["C1", "张三", "男", "12345", "", "", "", "", "", "", ""]]
    code, out = cli("customers", str(write_csv(tmp_path, rows)), "--json", capsys=capsys)
    data = json.loads(out)
    assert code == 1
    assert data["errors"] == [
        {
            "row": 2,
            "column": "手机",
            "value": "12345",
            "message": '第 2 行「手机」值 "12345" 不是有效的手机号码',
        }
    ]
    assert data["written"] is False
    assert Customer.objects.count() == 0


def test_human_summary_in_chinese(tmp_path, capsys):
    code, out = cli("customers", str(write_csv(tmp_path, CUSTOMERS_ZH)), "--dry-run", capsys=capsys)
    assert code == 0
    assert "试运行(未写入)" in out
    assert "新增 2" in out
    assert Customer.objects.count() == 0


def test_missing_file_exits_2(tmp_path, capsys):
    code, out = cli("orders", str(tmp_path / "nope.csv"), "--json", capsys=capsys)
    assert code == 2
    assert json.loads(out)["code"] == "file_not_found"


def test_console_script_bad_kind_exits_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "careloop", "import", "people", str(tmp_path / "x.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
