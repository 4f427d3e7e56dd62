from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from careloop.complaints.models import Complaint
from careloop.customers.models import Customer, CustomerKey, Interaction, Order
from careloop.imports.services import dedupe_key, import_file
from careloop.imports.tests.factories import CUSTOMERS_ZH, ORDERS_ZH, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


PATHS = {"path": "rows"}


@pytest.fixture(params=["rows", "staging", "clean"])
def order_path(request, monkeypatch):
    """Order files run through the row path, the staging path and the one-pass path for clean
    files (which hands any other file to the staging path): same results."""
    from careloop.imports import services, staging

    monkeypatch.setattr(services, "STAGING", request.param != "rows")
    monkeypatch.setattr(staging, "CLEAN", request.param == "clean")
    monkeypatch.setitem(PATHS, "path", request.param)
    return request.param


def run(tmp_path, kind, rows, **kwargs):
    result = import_file(kind=kind, path=write_csv(tmp_path, rows, f"{kind}.csv"), **kwargs)
    if kind == "orders" and not result.fatal:
        expected = PATHS["path"]
        if expected == "clean" and result.error_count:
            expected = "staging"  # a file with errors is not clean
        assert result.method == expected
    return result


def messages(result):
    return [e.message for e in result.errors]


@pytest.fixture
def customers(tmp_path):
    result = run(tmp_path, "customers", CUSTOMERS_ZH)
    assert (result.created, result.error_count) == (2, 0)
    return {c.external_id: c for c in Customer.objects.all()}


def test_customers_import_normalises_and_derives_fields(customers):
    zhang = customers["C001"]
    assert zhang.phone == "+8613812345678"
    assert zhang.phone_tail == "5678"
    assert (zhang.name_initials, zhang.name_pinyin) == ("zs", "zhangsan")
    assert zhang.gender == "M"
    assert zhang.registered_at == datetime(2024, 1, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["VIP", "老客户"]
    assert customers["C002"].do_not_contact is True
    assert customers["C002"].registered_at == datetime(2024, 3, 3, 16, 0, tzinfo=UTC)
    assert set(CustomerKey.objects.values_list("external_id", flat=True)) == {"C001", "C002"}


def test_reimport_changes_nothing(order_path, tmp_path, customers):
    again = run(tmp_path, "customers", CUSTOMERS_ZH)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    run(tmp_path, "orders", ORDERS_ZH)
    orders_again = run(tmp_path, "orders", ORDERS_ZH)
    assert (orders_again.created, orders_again.updated, orders_again.unchanged) == (0, 0, 3)
    assert Order.objects.count() == 3


def test_changed_rows_are_updated(tmp_path, customers):
    rows = [r[:] for r in CUSTOMERS_ZH]
    rows[1][6] = "宁波"
    rows[2][7] = "新客户"
    result = run(tmp_path, "customers", rows)
    assert (result.created, result.updated, result.unchanged) == (0, 2, 0)
    assert Customer.objects.get(external_id="C001").city == "宁波"
    assert list(Customer.objects.get(external_id="C002").tags.values_list("name", flat=True)) == [
        "新客户"
    ]


def test_phone_match_adds_an_alias_not_a_duplicate(order_path, tmp_path, customers):
    rows = [["external_id", "name", "phone"], ["CRM-77", "张三", "+86 138-1234-5678"]]
    result = run(tmp_path, "customers", rows)
    assert (result.created, result.updated) == (0, 1)
    assert Customer.objects.count() == 2
    key = CustomerKey.objects.get(external_id="CRM-77")
    assert key.customer == customers["C001"]
    orders = [["订单号", "客户编号", "下单时间", "金额"], ["X1", "CRM-77", "2024-06-01", "5"]]
    run(tmp_path, "orders", orders)
    assert Order.objects.get(external_id="X1").customer == customers["C001"]


def test_owner_gives_team_and_supervisor_team_is_the_fallback(
    tmp_path, agent_li, agent_chen, team_east
):
    rows = [
        ["客户编号", "姓名", "负责人"],
        ["C1", "张三", "chen"],
        ["C2", "李四", ""],
    ]
    run(tmp_path, "customers", rows, team=team_east)
    assert Customer.objects.get(external_id="C1").team == agent_chen.team
    assert Customer.objects.get(external_id="C1").owner == agent_chen
    assert Customer.objects.get(external_id="C2").team == team_east


def test_team_column_by_code_or_name(tmp_path, team_east, team_south):
    rows = [["客户编号", "姓名", "团队"], ["C1", "张三", "south"], ["C2", "李四", "华东一组"]]
    run(tmp_path, "customers", rows)
    assert Customer.objects.get(external_id="C1").team == team_south
    assert Customer.objects.get(external_id="C2").team == team_east


def test_orders_refresh_the_order_summary(order_path, tmp_path, customers):
    result = run(tmp_path, "orders", ORDERS_ZH)
    assert (result.created, result.error_count) == (3, 0)
    zhang = Customer.objects.get(external_id="C001")
    assert zhang.order_count == 2
    assert zhang.lifetime_spend == Decimal("200.50")
    assert zhang.first_order_at == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
    assert zhang.last_order_at == datetime(2024, 5, 2, 1, 0, tzinfo=UTC)
    order = Order.objects.get(external_id="O2")
    assert (order.amount, order.product, order.channel) == (Decimal("1.50"), "杯盖", "天猫")


def test_order_moved_to_another_customer_refreshes_both(order_path, tmp_path, customers):
    run(tmp_path, "orders", ORDERS_ZH)
    rows = [ORDERS_ZH[0], ["O3", "C001", "2024-05-03", "10", "茶叶", "食品", "京东"]]
    result = run(tmp_path, "orders", rows)
    assert result.updated == 1
    assert Customer.objects.get(external_id="C001").order_count == 3
    li = Customer.objects.get(external_id="C002")
    assert (li.order_count, li.lifetime_spend, li.last_order_at) == (0, 0, None)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["C9", "王五", "男", "12345"], '第 2 行「手机」值 "12345" 不是有效的手机号码'),
        (["C9", "", "男", ""], '第 2 行「姓名」值 "" 不能为空'),
        (["C9", "王五", "X", ""], '第 2 行「性别」值 "X" 应为 男/女/M/F'),
    ],
)
def test_customer_row_errors_name_row_column_and_value(tmp_path, row, message):
    result = run(tmp_path, "customers", [["客户编号", "姓名", "性别", "手机"], row])
    assert messages(result) == [message]
    assert result.failed and not result.written
    assert Customer.objects.count() == 0


def test_customer_field_errors(tmp_path):
    rows = [
        ["external_id", "name", "email", "birthday", "do_not_contact", "owner", "registered_at"],
        ["C1", "甲", "not-an-email", "1990-02-30", "也许", "nobody", "2024-01-01 25:00"],
    ]
    result = run(tmp_path, "customers", rows)
    assert messages(result) == [
        '第 2 行「email」值 "not-an-email" 不是有效的邮箱地址',
        '第 2 行「birthday」值 "1990-02-30" 不是有效的日期(应为 YYYY-MM-DD)',
        '第 2 行「do_not_contact」值 "也许" 应为 1/0/是/否/true/false',
        '第 2 行「registered_at」值 "2024-01-01 25:00" 不是有效的日期时间',
    ]
    assert result.error_count == 4


def test_unknown_owner_is_an_error(tmp_path):
    result = run(tmp_path, "customers", [["客户编号", "姓名", "负责人"], ["C1", "甲", "ghost"]])
    assert messages(result) == ['第 2 行「负责人」值 "ghost" 不是已有的用户名']


def test_order_errors_and_nothing_written(order_path, tmp_path, customers):
    rows = [
        ORDERS_ZH[0],
        ["O1", "C001", "2024-05-01 08:30", "199", "", "", ""],
        ["O2", "C404", "2024-05-01 08:30", "5", "", "", ""],
        ["O3", "C001", "2024-13-01", "abc", "", "", ""],
        ["O1", "C001", "2024-05-01 08:30", "199", "", "", ""],
        ["O4", "C001", "2024-05-01", "1.005", "", "", ""],
    ]
    result = run(tmp_path, "orders", rows)
    assert messages(result) == [
        '第 3 行「客户编号」值 "C404" 找不到该客户编号,请先导入客户',
        '第 4 行「下单时间」值 "2024-13-01" 不是有效的日期时间',
        '第 4 行「金额」值 "abc" 不是有效的金额',
        '第 5 行「订单号」值 "O1" 在文件中重复出现(以先出现的行为准)',
        '第 6 行「金额」值 "1.005" 金额最多两位小数',
    ]
    assert (result.errors[0].row, result.errors[0].column, result.errors[0].value) == (
        3,
        "客户编号",
        "C404",
    )
    assert (result.created, result.written, result.failed) == (0, False, True)
    assert Order.objects.count() == 0
    assert Customer.objects.get(external_id="C001").order_count == 0


def test_skip_invalid_writes_the_valid_rows(order_path, tmp_path, customers):
    rows = [*ORDERS_ZH, ["O9", "C404", "2024-05-01", "5", "", "", ""]]
    result = run(tmp_path, "orders", rows, skip_invalid=True)
    assert (result.created, result.skipped, result.error_count) == (3, 1, 1)
    assert result.written and not result.failed
    assert Order.objects.count() == 3


def test_dry_run_counts_but_writes_nothing(order_path, tmp_path, customers):
    result = run(tmp_path, "orders", ORDERS_ZH, dry_run=True)
    assert (result.created, result.updated, result.written) == (3, 0, False)
    assert Order.objects.count() == 0
    dry = run(
        tmp_path,
        "customers",
        [*CUSTOMERS_ZH, ["C003", "王五", "", "", "", "", "", "", "", "", ""]],
        dry_run=True,
    )
    assert (dry.created, dry.unchanged) == (1, 2)
    assert Customer.objects.count() == 2


def test_missing_required_column_fails_before_any_row(order_path, tmp_path):
    result = run(tmp_path, "orders", [["订单号", "金额"], ["O1", "5"]])
    assert messages(result) == [
        "缺少必需的列「客户编号」(customer_external_id)",
        "缺少必需的列「下单时间」(ordered_at)",
    ]
    assert result.total == 0 and result.failed


def test_unknown_column_is_a_warning(order_path, tmp_path, customers):
    rows = [[*ORDERS_ZH[0], "备注"], *[[*r, "x"] for r in ORDERS_ZH[1:]]]
    result = run(tmp_path, "orders", rows)
    assert result.warnings == ["未识别的列「备注」,已忽略"]
    assert result.created == 3


def test_xlsx_orders_with_excel_dates_and_numbers(tmp_path, customers):
    rows = [
        ["订单号", "客户编号", "下单时间", "金额"],
        ["X1", "C001", datetime(2024, 5, 1, 8, 30), 19.9],  # noqa: DTZ001
        [1002, "C002", 45413.5, 20],
    ]
    result = import_file(kind="orders", path=write_xlsx(tmp_path, rows))
    assert (result.created, result.error_count) == (2, 0)
    assert Order.objects.get(external_id="X1").ordered_at == datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
    assert Order.objects.get(external_id="X1").amount == Decimal("19.90")
    assert Order.objects.get(external_id="1002").ordered_at == datetime(
        2024, 5, 1, 4, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_customers_in_other_encodings(tmp_path, encoding):
    path = write_csv(tmp_path, CUSTOMERS_ZH, encoding=encoding)
    result = import_file(kind="customers", path=path)
    assert result.created == 2
    assert Customer.objects.get(external_id="C001").name == "张三"


def test_english_headers_customers(tmp_path):
    rows = [
        ["External ID", "Name", "Gender", "Phone", "Tags", "Do Not Contact", "Birthday"],
        ["E1", "Alice Wang", "F", "13700000000", "vip、b2b", "true", "1990/5/6"],
    ]
    result = run(tmp_path, "customers", rows)
    assert result.created == 1
    alice = Customer.objects.get(external_id="E1")
    assert (alice.gender, alice.do_not_contact, alice.birthday) == ("F", True, date(1990, 5, 6))
    assert sorted(alice.tags.values_list("name", flat=True)) == ["b2b", "vip"]


def test_complaints_import_and_reimport(tmp_path, customers):
    rows = [
        ["投诉编号", "客户编号", "投诉时间", "渠道", "等级", "类别", "描述", "状态", "解决时间"],
        [
            "K1",
            "C001",
            "2024-06-01 09:00",
            "电话",
            "A",
            "质量",
            "杯子漏水",
            "已解决",
            "2024-06-02 10:00",
        ],
        ["K2", "C002", "2024-06-03", "微信", "", "", "", "处理中", ""],
    ]
    result = run(tmp_path, "complaints", rows)
    assert (result.created, result.error_count) == (2, 0)
    k1 = Complaint.objects.get(external_id="K1")
    assert (k1.severity, k1.status, k1.customer) == ("A", "resolved", customers["C001"])
    assert k1.resolved_at == datetime(2024, 6, 2, 2, 0, tzinfo=UTC)
    k2 = Complaint.objects.get(external_id="K2")
    assert (k2.severity, k2.status, k2.resolved_at) == ("C", "open", None)
    again = run(tmp_path, "complaints", rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows[2][7] = "closed"
    assert run(tmp_path, "complaints", rows).updated == 1


def test_complaint_errors(tmp_path, customers):
    rows = [
        ["投诉编号", "客户编号", "投诉时间", "等级", "状态"],
        ["K1", "C001", "2024-06-01", "D", "pending"],
    ]
    assert messages(run(tmp_path, "complaints", rows)) == [
        '第 2 行「等级」值 "D" 应为 A/B/C',
        '第 2 行「状态」值 "pending" 应为 open/resolved/closed 或 处理中/已解决/已关闭',
    ]


def test_interactions_import_is_idempotent(tmp_path, customers):
    rows = [
        ["客户编号", "时间", "渠道", "类型", "内容", "NPS", "CSAT"],
        ["C001", "2024-06-01 09:00", "phone", "consult", "问保修", "", ""],
        ["C002", "2024-06-02 10:00", "微信", "调查", "满意", "9", "5"],
    ]
    result = run(tmp_path, "interactions", rows)
    assert (result.created, result.error_count) == (2, 0)
    survey = Interaction.objects.get(kind="survey")
    assert (survey.channel, survey.nps, survey.csat) == ("wechat", 9, 5)
    assert survey.dedupe_key == dedupe_key(
        "C002", "2024-06-02 02:00:00", "wechat", "survey", "满意"
    )
    again = run(tmp_path, "interactions", rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows[2][5] = "10"
    assert run(tmp_path, "interactions", rows).updated == 1


def test_interaction_errors(tmp_path, customers):
    rows = [
        ["客户编号", "时间", "渠道", "类型", "NPS", "CSAT"],
        ["C001", "2024-06-01", "fax", "chat", "11", "0"],
    ]
    assert messages(run(tmp_path, "interactions", rows)) == [
        '第 2 行「渠道」值 "fax" 应为 phone/sms/wechat/email/visit/web',
        '第 2 行「类型」值 "chat" 应为 consult/complaint/suggestion/callback/survey/message',
        '第 2 行「NPS」值 "11" 应为 0–10 的整数',
        '第 2 行「CSAT」值 "0" 应为 1–5 的整数',
    ]


def test_chunks_and_progress(tmp_path, customers, monkeypatch):
    from careloop.imports import services

    monkeypatch.setattr(services, "STAGING", False)  # the staging path has no chunks
    rows = [ORDERS_ZH[0]] + [[f"O{i}", "C001", "2024-05-01", "1", "", "", ""] for i in range(25)]
    seen = []
    result = import_file(
        kind="orders",
        path=write_csv(tmp_path, rows),
        chunk_rows=10,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result.created == 25
    assert seen == [(0, 25), (10, 25), (20, 25), (25, 25)]
    assert Customer.objects.get(external_id="C001").order_count == 25


def test_duplicate_across_chunks_is_an_error(order_path, tmp_path, customers):
    rows = [ORDERS_ZH[0]] + [
        [f"O{i % 12}", "C001", "2024-05-01", "1", "", "", ""] for i in range(15)
    ]
    result = import_file(kind="orders", path=write_csv(tmp_path, rows), chunk_rows=10)
    assert result.error_count == 3
    assert result.errors[0].row == 14
    assert Order.objects.count() == 0


def test_big_sqlite_loads_rebuild_secondary_indexes(order_path, tmp_path, customers, monkeypatch):
    from django.db import connection

    from careloop.imports import sql

    monkeypatch.setattr(sql, "BULK_ROWS", 10)
    rows = [ORDERS_ZH[0]] + [[f"B{i}", "C002", "2024-05-01", "2", "", "", ""] for i in range(30)]
    result = run(tmp_path, "orders", rows)
    assert result.created == 30
    assert Customer.objects.get(external_id="C002").order_count == 30
    with connection.cursor() as cursor:
        names = set(connection.introspection.get_constraints(cursor, "customers_order"))
    assert {"order_customer_time", "order_time"} <= names


def test_identical_interaction_rows_are_reported(tmp_path, customers):
    rows = [
        ["客户编号", "时间", "类型", "内容"],
        ["C001", "2024-06-01 09:00", "consult", "问保修"],
        ["C001", "2024-06-01 09:00", "consult", "问保修"],
    ]
    result = run(tmp_path, "interactions", rows, skip_invalid=True)
    assert messages(result) == [
        '第 3 行「客户编号」值 "C001" 与本文件中前面的一行完全相同(重复的接触记录)'
    ]
    assert (result.created, result.skipped) == (1, 1)


def test_seen_keys_spill_to_disk_and_stay_exact(monkeypatch):
    from careloop.imports.services import SeenKeys

    monkeypatch.setattr(SeenKeys, "IN_MEMORY", 5)
    seen = SeenKeys()
    assert seen.repeats(["a", "b", "a", "c"]) == {2}
    assert seen.repeats(["d", "e", "f", "b"]) == {3}  # spills after this chunk
    assert seen.db is not None and not seen.keys
    assert seen.repeats(["g", "a", "g", "h"]) == {1, 2}
    seen.close()
