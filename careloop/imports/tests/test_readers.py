from datetime import datetime

import pytest

from careloop.imports.columns import SPECS, MissingColumns, detect, normalize_header
from careloop.imports.readers import UnreadableFile, detect_encoding, open_table
from careloop.imports.tests.factories import CUSTOMERS_ZH, write_csv, write_xlsx


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_read_chinese(tmp_path, encoding):
    path = write_csv(tmp_path, CUSTOMERS_ZH, encoding=encoding)
    with open_table(path) as table:
        rows = list(table.rows)
    assert table.header[0] == "客户编号"
    assert rows[0][1] == "张三"
    assert table.total_estimate == 2


def test_encoding_detection():
    assert detect_encoding("客户".encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding("客户".encode()) == "utf-8"
    assert detect_encoding("客户编号,姓名".encode("gbk")) == "gb18030"
    # a UTF-8 character cut by the sniffing window is still UTF-8
    assert detect_encoding(("a" * 10 + "客").encode()[:-1]) == "utf-8"


def test_xlsx_first_sheet_with_excel_dates(tmp_path):
    moment = datetime(2024, 1, 2, 10, 0)  # noqa: DTZ001 - Excel cells are naive
    path = write_xlsx(tmp_path, [["客户编号", "姓名", "注册时间"], ["C1", "张三", moment]])
    with open_table(path) as table:
        rows = list(table.rows)
    assert table.header == ["客户编号", "姓名", "注册时间"]
    assert rows == [["C1", "张三", moment]]


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(UnreadableFile), open_table(tmp_path / "nope.csv"):
        pass


def test_headers_tolerate_case_spaces_and_full_width():
    assert normalize_header(" Customer_External ID ") == "customerexternalid"
    assert normalize_header("ＮＰＳ") == "nps"
    assert normalize_header("客户 编号") == "客户编号"
    mapping = detect(
        SPECS["orders"], ["ORDER", "External ID", "Customer External ID", "下单 时间", "金额"]
    )
    assert mapping.index == {
        "external_id": 1,
        "customer_external_id": 2,
        "ordered_at": 3,
        "amount": 4,
    }
    assert mapping.unknown == ["ORDER"]
    assert mapping.warnings() == ["未识别的列「ORDER」,已忽略"]


def test_english_and_chinese_headers_map_to_the_same_fields():
    zh = detect(SPECS["interactions"], ["客户编号", "时间", "渠道", "类型", "内容", "NPS", "CSAT"])
    en = detect(
        SPECS["interactions"],
        ["customer_external_id", "occurred_at", "channel", "kind", "text", "nps", "csat"],
    )
    assert zh.index == en.index


def test_missing_required_columns_are_named():
    with pytest.raises(MissingColumns) as exc:
        detect(SPECS["orders"], ["订单号", "金额"])
    assert [c.label for c in exc.value.columns] == ["客户编号", "下单时间"]
