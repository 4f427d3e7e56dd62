"""Small files for import tests: CSV in any encoding, XLSX built with openpyxl."""

import csv
import io
from pathlib import Path

CUSTOMERS_ZH = [
    [
        "客户编号",
        "姓名",
        "性别",
        "手机",
        "邮箱",
        "省份",
        "城市",
        "标签",
        "负责人",
        "免打扰",
        "注册时间",
    ],
    [
        "C001",
        "张三",
        "男",
        "138 1234 5678",
        "zs@example.cn",
        "浙江",
        "杭州",
        "VIP;老客户",
        "",
        "否",
        "2024-01-02 10:00",
    ],
    ["C002", "李四", "女", "13900001111", "", "江苏", "南京", "", "", "1", "2024/03/04"],
]
ORDERS_ZH = [
    ["订单号", "客户编号", "下单时间", "金额", "产品", "品类", "渠道"],
    ["O1", "C001", "2024-05-01 08:30:00", "199.00", "保温杯", "家居", "天猫"],
    ["O2", "C001", "2024-05-02 09:00", "1.50", "杯盖", "家居", "天猫"],
    ["O3", "C002", "2024-05-03", "10", "茶叶", "食品", "京东"],
]


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def write_csv(folder: Path, rows: list[list], name: str = "data.csv", encoding="utf-8") -> Path:
    path = folder / name
    path.write_bytes(csv_bytes(rows, encoding))
    return path


def write_xlsx(folder: Path, rows: list[list], name: str = "data.xlsx") -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = folder / name
    book.save(path)
    return path
