"""The staging path (CSV orders validated and upserted in SQL) and the one-pass path for a clean
file give what the row path gives."""

from decimal import Decimal

import pytest
from django.db import transaction

from careloop.customers.models import Customer, Order
from careloop.imports import services, staging
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


def outcome(monkeypatch, way: str, path, **kwargs):
    """The result and what it left in the database, rolled back afterwards; `way` is "rows",
    "staging" (the general staging path) or "clean" (the one-pass path first)."""
    monkeypatch.setattr(services, "STAGING", way != "rows")
    monkeypatch.setattr(staging, "CLEAN", way == "clean")
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
    """Every way gives the same result and database; returns what the default way (clean
    first) gave, with the method it took."""
    method_rows, rows, rows_state = outcome(monkeypatch, "rows", path, **kwargs)
    method_staged, staged, staged_state = outcome(monkeypatch, "staging", path, **kwargs)
    method_clean, clean, clean_state = outcome(monkeypatch, "clean", path, **kwargs)
    assert method_rows == "rows"
    assert method_staged in {"staging", "rows"}
    assert method_clean in {"clean", method_staged}
    assert staged == rows and clean == rows
    assert staged_state == rows_state and clean_state == rows_state
    return method_clean, clean, clean_state


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
    assert method == "clean" and result["created"] == 4
    monkeypatch.setattr(services, "STAGING", True)
    monkeypatch.setattr(staging, "CLEAN", True)
    import_file(kind="orders", path=path)
    again = import_file(kind="orders", path=path)
    assert (again.method, again.created, again.updated, again.unchanged) == ("clean", 0, 0, 4)
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


def test_clean_line_regex_knows_the_calendar():
    import re
    from datetime import date

    day = re.compile(staging.CLEAN_DATE).fullmatch
    for year in range(1980, 2420):
        for month in range(0, 14):
            for d in range(0, 33):
                text = f"{year:04d}-{month:02d}-{d:02d}"
                try:
                    real = date(year, month, d).year >= staging.FIRST_FIXED_YEAR
                except ValueError:
                    real = False
                assert bool(day(text)) == real, text
    for moment in ("2024-05-01 00:00", "2024-05-01 23:59:59"):
        assert day(moment)
    for moment in ("2024-05-01 24:00", "2024-05-01 8:00", "2024-05-01 08:60", "2024-05-01T08:00"):
        assert not day(moment)


def test_clean_file_takes_one_pass(tmp_path, customers, monkeypatch):
    rows = [*ORDERS_ZH, ["O4", "C002", "2024-02-29 23:59:59", "-0.5", "", "", "门店"]]
    method, result, state = both(monkeypatch, write_csv(tmp_path, rows))
    assert method == "clean" and result["created"] == 4
    assert [o[0] for o in state["orders"]] == ["O1", "O2", "O3", "O4"]


CLEAN_ROWS = [
    ["O1", "C001", "2024-05-01 08:30:00", "199.00", "保温杯", "家居", "天猫"],
    ["O2", "C002", "2024-05-02", "5", "", "", ""],
]


@pytest.mark.parametrize(
    "bad",
    [
        ["O3", "C404", "2024-05-01", "1", "", "", ""],  # unknown customer: NOT NULL fails
        ["O1", "C002", "2024-05-01", "1", "", "", ""],  # a new order number twice
        ["O3", "C001", "2023-02-29", "1", "", "", ""],  # no such day
        ["O3 ", "C001", "2024-05-01", "1", "", "", ""],  # needs a trim
        ["O3", "C001", "2024-05-01", "1", "杯,盖", "", ""],  # quoted
        ["O3", "C001", "1991-05-01", "1", "", "", ""],  # before the fixed offset
        ["O3", "C001", "2024-05-01", "1,000", "", "", ""],  # quoted money
        ["O3", "C001", "2024-05-01", "1", "x" * 129, "", ""],  # too long
    ],
)
@pytest.mark.parametrize("options", [{}, {"skip_invalid": True}])
def test_a_file_that_is_not_clean_takes_the_staging_path(
    tmp_path, customers, monkeypatch, bad, options
):
    path = write_csv(tmp_path, [HEADER, *CLEAN_ROWS, bad])
    method, _result, _state = both(monkeypatch, path, **options)  # same as the row path
    assert method == "staging"


def test_an_existing_order_twice_and_unchanged_is_still_an_error(tmp_path, customers, monkeypatch):
    """Both rows meet the stored order and change nothing: no unique key fails, the check
    after the upsert (PostgreSQL) or the trigger's key (SQLite) must find it."""
    monkeypatch.setattr(staging, "CLEAN", True)
    import_file(kind="orders", path=write_csv(tmp_path, [HEADER, *CLEAN_ROWS], "first.csv"))
    path = write_csv(tmp_path, [HEADER, *CLEAN_ROWS, CLEAN_ROWS[0]])
    method, result, state = both(monkeypatch, path)
    assert method == "staging"
    assert [e["row"] for e in result["errors"]] == [4]
    assert len(state["orders"]) == 2


def test_clean_reimport_with_a_moved_order_refreshes_both_customers(
    tmp_path, customers, monkeypatch
):
    monkeypatch.setattr(staging, "CLEAN", True)
    import_file(kind="orders", path=write_csv(tmp_path, [HEADER, *CLEAN_ROWS], "first.csv"))
    moved = [["O1", "C002", "2024-05-01 08:30:00", "199.00", "保温杯", "家居", "天猫"]]
    path = write_csv(tmp_path, [HEADER, *moved, CLEAN_ROWS[1]])
    method, result, state = both(monkeypatch, path)
    assert method == "clean"
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 1)
    summary = {row[0]: row[1:3] for row in state["summary"]}
    assert summary == {"C001": (0, Decimal("0")), "C002": (2, Decimal("204.00"))}
