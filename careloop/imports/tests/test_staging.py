"""The staging path (CSV orders validated and upserted in SQL) gives what the row path gives."""

from decimal import Decimal

import pytest
from django.db import transaction

from careloop.customers.models import Customer, Order
from careloop.imports import services
from careloop.imports.services import import_file
from careloop.imports.tests.factories import ORDERS_ZH, write_csv

pytestmark = pytest.mark.django_db

HEADER = ORDERS_ZH[0]


@pytest.fixture
def customers(tmp_path):
    rows = [["客户编号", "姓名"], ["C001", "张三"], ["C002", "李四"]]
    import_file(kind="customers", path=write_csv(tmp_path, rows, "customers.csv"))


class _Undo(Exception):
    pass


def outcome(monkeypatch, staging: bool, path, **kwargs):
    """The result and what it left in the database, rolled back afterwards."""
    monkeypatch.setattr(services, "STAGING", staging)
    state = {}
    try:
        with transaction.atomic():
            result = import_file(kind="orders", path=path, **kwargs)
            state["orders"] = sorted(
                Order.objects.values_list(
                    "external_id",
                    "customer__external_id",
                    "ordered_at",
                    "amount",
                    "product",
                    "category",
                    "channel",
                )
            )
            state["summary"] = sorted(
                Customer.objects.values_list(
                    "external_id", "order_count", "lifetime_spend", "first_order_at"
                )
            )
            raise _Undo
    except _Undo:
        pass
    data = result.to_dict()
    data.pop("seconds")
    return data.pop("method"), data, state


def both(monkeypatch, path, **kwargs):
    method_rows, rows, rows_state = outcome(monkeypatch, False, path, **kwargs)
    method_staged, staged, staged_state = outcome(monkeypatch, True, path, **kwargs)
    assert method_rows == "rows"
    assert staged == rows
    assert staged_state == rows_state
    return method_staged, staged, staged_state


MESSY = [
    HEADER,
    [" O1 ", " C001\u3000", "2024/5/1 8:30", "¥1,234.5", " 杯 ", "家居", "天猫"],
    ["O2", "C001", "1990-06-01 10:00", "1.50", "", "", ""],  # before 1992: zoneinfo
    ["O3", "C002", "2024-02-29", "-10", "多行\n产品", "", ""],  # a quoted newline
    ["O4", "C002", "2023-02-29", "10", "", "", ""],
    ["O5", "C404", "2024-05-01 24:00", "1.005", "x" * 129, "", ""],
    ["O6", "C404", "2024-05-01 23:59:59", "0.1", "", "", ""],
    ["O1", "C002", "2024-05-01", "1", "", "", ""],
    ["", "", "", "", "", "", ""],
    ["O7", "C001", "2024-05-01 08:00:00", "1e3", "", "", ""],
    ["O8", "", "2024-05-01", "5", "", "", ""],
    ["O9", "C001", "2024-05-01 8:00", "9999999999999", "", "", ""],
    ["O10", "C002", "2024-05-01 08:00:00", "12345678.90", "产品", "品类", "渠道"],
    ["O4", "C001", "2024-05-02", "3", "", "", ""],  # O4's first row was invalid
    ["O11", "C001", "2024-05-01 08:60", "1", "", "", ""],
    ["O12", "C001", "2024-5-01", "1", "", "", ""],
    ["O13", "C001", "2024-05-01T08:00", "1", "", "", ""],
    ["O14", "C001", "20240501", "1", "", "", ""],
    ["O15", "C001", "2024-05-01 08:00:00.5", "1", "", "", ""],
]


@pytest.mark.parametrize("options", [{}, {"skip_invalid": True}, {"dry_run": True}])
def test_messy_file_same_on_both_paths(tmp_path, customers, monkeypatch, options):
    method, result, state = both(monkeypatch, write_csv(tmp_path, MESSY), **options)
    assert method == "staging"
    rows = {e["row"] for e in result["errors"]}
    assert rows == {5, 6, 7, 8, 11, 12, 15, 18}
    assert result["total"] == 17  # the blank row is not counted
    if options.get("skip_invalid"):
        assert result["created"] == 9 and result["skipped"] == 8
        assert len(state["orders"]) == 9


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_encodings_and_reimport(tmp_path, customers, monkeypatch, encoding):
    rows = [*ORDERS_ZH, ["O4", "C002", "2024-06-01 12:00", "8.8", "茶叶", "食品", "京东"]]
    path = write_csv(tmp_path, rows, encoding=encoding)
    method, result, _state = both(monkeypatch, path)
    assert method == "staging" and result["created"] == 4
    monkeypatch.setattr(services, "STAGING", True)
    import_file(kind="orders", path=path)
    again = import_file(kind="orders", path=path)
    assert (again.method, again.created, again.updated, again.unchanged) == ("staging", 0, 0, 4)
    assert Order.objects.get(external_id="O4").amount == Decimal("8.80")


def test_ragged_file_falls_back_to_the_row_path(tmp_path, customers, monkeypatch):
    path = tmp_path / "ragged.csv"
    path.write_text(",".join(HEADER) + "\nO1,C001,2024-05-01,5\n\nO2,C002,2024-05-02,6,,,,extra\n")
    method, result, _state = both(monkeypatch, path)
    assert method == "rows" and result["created"] == 2


def test_many_errors_are_counted_and_the_first_kept(tmp_path, customers, monkeypatch):
    rows = [HEADER] + [[f"E{i}", "C404", "2024-05-01", "1", "", "", ""] for i in range(250)]
    rows += [["E1", "C001", "bad", "1", "", "", ""]]
    _method, result, _state = both(monkeypatch, write_csv(tmp_path, rows))
    assert result["error_count"] == 251
    assert len(result["errors"]) == 200 and result["errors"][0]["row"] == 2
