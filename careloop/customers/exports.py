"""Customer exports: the filtered list as CSV (streamed, UTF-8 with BOM for Excel) or XLSX.

An export is scoped like the list (`visible_to`), masks phones unless the role may see them, and
is written to the audit log with its filters and row count before the first byte leaves. With
`segment` set it exports a saved segment's customers (within the same scope), named in the log."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from careloop.accounts.models import User
from careloop.accounts.services import audit_record
from careloop.core.errors import DomainError
from careloop.customers.models import Customer
from careloop.customers.selectors import CustomerFilters, customer_list

XLSX_MAX_ROWS = 100_000
HEADER = [
    "客户编号",
    "姓名",
    "性别",
    "手机",
    "邮箱",
    "生日",
    "省份/地区",
    "城市",
    "行业",
    "公司",
    "标签",
    "负责人",
    "团队",
    "免打扰",
    "订单数",
    "累计消费",
    "最近下单",
]


class ExportTooLarge(DomainError):
    code = "export_too_large"


def _rows(user: User, filters: CustomerFilters) -> Iterator[list]:
    show_phone = user.may_see_phones
    qs = customer_list(user=user, filters=filters)
    through = Customer.tags.through
    chunk: list[Customer] = []

    def flush(customers: list[Customer]) -> Iterator[list]:
        tags: dict[int, list[str]] = {c.pk: [] for c in customers}
        for cid, name in through.objects.filter(customer_id__in=tags).values_list(
            "customer_id", "tag__name"
        ):
            tags[cid].append(name)
        for c in customers:
            yield [
                c.external_id or "",
                c.name,
                c.get_gender_display() if c.gender else "",
                c.phone_national if show_phone else c.phone_masked,
                c.email,
                c.birthday.isoformat() if c.birthday else "",
                c.region,
                c.city,
                c.industry,
                c.company,
                "、".join(sorted(tags[c.pk])),
                c.owner.username if c.owner else "",
                c.team.name if c.team else "",
                "是" if c.do_not_contact else "否",
                c.order_count,
                str(c.lifetime_spend),
                timezone.localtime(c.last_order_at).strftime("%Y-%m-%d") if c.last_order_at else "",
            ]

    for customer in qs.iterator(chunk_size=2000):
        chunk.append(customer)
        if len(chunk) == 2000:
            yield from flush(chunk)
            chunk = []
    if chunk:
        yield from flush(chunk)


def customer_export(*, actor: User, filters: CustomerFilters, fmt: str) -> tuple[str, object]:
    """Return (filename, body): body is an iterator of CSV lines or XLSX bytes."""
    if fmt not in {"csv", "xlsx"}:
        raise DomainError(_("不支持的导出格式:%(value)s") % {"value": fmt}, field="format")
    total = customer_list(user=actor, filters=filters).count()
    if fmt == "xlsx" and total > XLSX_MAX_ROWS:
        raise ExportTooLarge(
            _("共 %(total)s 位客户,超过 Excel 导出上限 %(max)s 行,请缩小范围或导出 CSV")
            % {"total": total, "max": XLSX_MAX_ROWS},
            field="format",
        )
    audit_record(
        actor=actor,
        action="customer.export",
        target_type="customer",
        target_id="*",
        detail={
            "format": fmt,
            "rows": total,
            "filters": {k: str(v) if v is not None else None for k, v in asdict(filters).items()},
            "phones": "full" if actor.may_see_phones else "masked",
            **_segment_detail(actor, filters),
        },
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"customers-{stamp}.{fmt}"
    if fmt == "csv":
        return filename, _csv_lines(_rows(actor, filters))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(HEADER)
    for row in _rows(actor, filters):
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return filename, buffer.getvalue()


def _segment_detail(actor: User, filters: CustomerFilters) -> dict:
    """The saved segment an export was made from, by id and name, for the audit log."""
    if not filters.segment:
        return {}
    from careloop.segments.models import SavedSegment

    name = (
        SavedSegment.objects.visible_to(actor)
        .filter(pk=filters.segment)
        .values_list("name", flat=True)
        .first()
    )
    return {"segment": {"id": filters.segment, "name": name}}


def _csv_lines(rows: Iterator[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()
