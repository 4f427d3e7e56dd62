"""The columns each import kind accepts (DESIGN.md §5) and header detection.

A header matches a field when, normalised (full-width → half-width, case, spaces, `_` and `-`
ignored), it equals the field's English name or one of its Chinese aliases.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Column:
    name: str  # the field, e.g. "customer_external_id"
    label: str  # the Chinese name shown to users, e.g. "客户编号"
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Spec:
    kind: str
    columns: tuple[Column, ...]

    @property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}


def _c(name: str, label: str, *aliases: str, required: bool = False) -> Column:
    return Column(name, label, (name, label, *aliases), required)


SPECS: dict[str, Spec] = {
    "customers": Spec(
        "customers",
        (
            _c("external_id", "客户编号", "客户ID", "customer_id", required=True),
            _c("name", "姓名", "客户名称", "客户姓名", required=True),
            _c("gender", "性别"),
            _c("phone", "手机", "联系电话", "手机号", "电话", "mobile"),
            _c("email", "邮箱", "电子邮箱", "e-mail"),
            _c("birthday", "生日", "出生日期"),
            _c("region", "省份/地区", "省份", "地区"),
            _c("city", "城市"),
            _c("industry", "行业"),
            _c("company", "公司", "公司名称"),
            _c("tags", "标签"),
            _c("owner", "负责人"),
            _c("team", "团队"),
            _c("do_not_contact", "免打扰"),
            _c("registered_at", "注册时间"),
        ),
    ),
    "orders": Spec(
        "orders",
        (
            _c("external_id", "订单号", "订单编号", required=True),
            _c("customer_external_id", "客户编号", required=True),
            _c("ordered_at", "下单时间", "订单时间", required=True),
            _c("amount", "金额", "订单金额", required=True),
            _c("product", "产品", "商品"),
            _c("category", "品类", "类别"),
            _c("channel", "渠道"),
        ),
    ),
    "complaints": Spec(
        "complaints",
        (
            _c("external_id", "投诉编号", required=True),
            _c("customer_external_id", "客户编号", required=True),
            _c("created_at", "投诉时间", "opened_at", required=True),
            _c("channel", "渠道"),
            _c("severity", "等级", "级别"),
            _c("category", "类别"),
            _c("description", "描述", "投诉内容"),
            _c("status", "状态"),
            _c("resolved_at", "解决时间"),
        ),
    ),
    "interactions": Spec(
        "interactions",
        (
            _c("customer_external_id", "客户编号", required=True),
            _c("occurred_at", "时间", "发生时间", required=True),
            _c("channel", "渠道"),
            _c("kind", "类型", required=True),
            _c("text", "内容"),
            _c("nps", "NPS", "推荐值"),
            _c("csat", "CSAT", "满意度"),
        ),
    ),
}
KINDS = tuple(SPECS)


def normalize_header(text: object) -> str:
    """'  客户 编号 ' / 'External_ID' / 'ＮＰＳ' -> '客户编号' / 'externalid' / 'nps'."""
    value = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    for ch in " _-\t\u3000":
        value = value.replace(ch, "")
    return value


class MissingColumns(Exception):
    def __init__(self, columns: list[Column]):
        super().__init__(", ".join(c.name for c in columns))
        self.columns = columns


@dataclass
class Mapping:
    """Which file column feeds which field; headers as written in the file."""

    spec: Spec
    header: list[str]
    index: dict[str, int] = field(default_factory=dict)  # field -> column index
    unknown: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)

    def label(self, name: str) -> str:
        """The header as written in the file for a field (what errors show)."""
        return self.header[self.index[name]]

    def as_rows(self) -> list[dict]:
        """[{header, field, label, known}] in file order, for the preview page."""
        by_index = {i: name for name, i in self.index.items()}
        columns = self.spec.by_name
        rows = []
        for i, head in enumerate(self.header):
            if not str(head or "").strip():
                continue
            name = by_index.get(i)
            rows.append(
                {
                    "header": head,
                    "field": name or "",
                    "label": columns[name].label if name else "",
                    "known": name is not None,
                }
            )
        return rows

    def to_dict(self) -> dict:
        return {
            "columns": {name: self.header[i] for name, i in self.index.items()},
            "unknown": self.unknown,
        }

    def warnings(self) -> list[str]:
        out = [_("未识别的列「%(column)s」,已忽略") % {"column": h} for h in self.unknown]
        out += [_("重复的列「%(column)s」,已忽略") % {"column": h} for h in self.duplicate]
        return out


def detect(spec: Spec, header: list[str]) -> Mapping:
    """Map the file's header to fields; raises MissingColumns naming every required one absent."""
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for alias in column.aliases:
            lookup.setdefault(normalize_header(alias), column.name)
    mapping = Mapping(spec=spec, header=[str(h or "").strip() for h in header])
    for i, head in enumerate(mapping.header):
        if not head:
            continue
        name = lookup.get(normalize_header(head))
        if name is None:
            mapping.unknown.append(head)
        elif name in mapping.index:
            mapping.duplicate.append(head)
        else:
            mapping.index[name] = i
    missing = [c for c in spec.columns if c.required and c.name not in mapping.index]
    if missing:
        raise MissingColumns(missing)
    return mapping
