"""Exports are scoped to the user's customers, mask phones for agents and are audited."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from careloop.accounts.models import AuditLog
from careloop.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(team_east, team_south):
    make_customer("张三", team=team_east, phone="13812345678", tags="VIP", region="浙江")
    make_customer("李四", team=team_east, phone="13812340000", region="上海")
    make_customer("赵六", team=team_south, phone="13700001111", region="广东")


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel opens Chinese CSV correctly with a BOM
    return list(csv.reader(io.StringIO(text[1:])))


def test_agent_csv_is_scoped_and_masked(client, agent_li, customers):
    client.force_login(agent_li)
    rows = read_csv(client.get(reverse("customers:export"), {"format": "csv", "sort": "name"}))
    assert rows[0][:4] == ["客户编号", "姓名", "性别", "手机"]
    body = {r[1]: r for r in rows[1:]}
    assert set(body) == {"张三", "李四"}  # not 赵六 of 华南
    assert body["张三"][3] == "138****5678"
    assert body["张三"][10] == "VIP"
    entry = AuditLog.objects.get(action="customer.export")
    assert entry.actor == agent_li
    assert entry.detail["rows"] == 2 and entry.detail["phones"] == "masked"


def test_filters_apply_to_export(client, admin_wang, customers):
    client.force_login(admin_wang)
    rows = read_csv(client.get(reverse("customers:export"), {"format": "csv", "region": "广东"}))
    assert [r[1] for r in rows[1:]] == ["赵六"]
    assert rows[1][3] == "13700001111"  # admin sees full numbers


def test_xlsx_export(client, supervisor_zhao, customers):
    client.force_login(supervisor_zhao)
    response = client.get(reverse("customers:export"), {"format": "xlsx"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert names == ["张三", "李四"]


def test_xlsx_too_large_is_refused_and_not_audited(client, admin_wang, customers, monkeypatch):
    monkeypatch.setattr("careloop.customers.exports.XLSX_MAX_ROWS", 2)
    client.force_login(admin_wang)
    response = client.get(reverse("customers:export"), {"format": "xlsx"}, follow=True)
    assert "超过 Excel 导出上限 2 行" in response.content.decode()
    assert not AuditLog.objects.filter(action="customer.export").exists()
