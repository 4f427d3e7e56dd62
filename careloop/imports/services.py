"""Import customers, orders, complaints and interactions from CSV or XLSX files.

`import_file` is the one service behind every door (CLI, page, job, API). It streams the file in
chunks, validates each row, resolves customers set-based per chunk and writes in bulk
(careloop.imports.sql). The whole file is one transaction: with any error nothing is written,
unless `skip_invalid`; `dry_run` does everything and rolls back.
"""

from __future__ import annotations

import abc
import hashlib
import heapq
import json
import logging
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, reset_queries, transaction
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from careloop.accounts.models import Team, User
from careloop.accounts.services import audit_record
from careloop.core.errors import DomainError, NotFound, PermissionDenied
from careloop.customers.services import EDITABLE_FIELDS
from careloop.emotion.services import interactions_emotion
from careloop.imports import values as v
from careloop.imports.columns import KINDS, SPECS, Mapping, MissingColumns, detect
from careloop.imports.models import ImportJob
from careloop.imports.readers import open_table
from careloop.imports.sql import (
    Target,
    lookup,
    refresh_order_summary,
    secondary_indexes_deferred,
    upsert,
)

log = logging.getLogger(__name__)

CHUNK_ROWS = 10_000
STAGING = True  # CSV orders go through careloop.imports.staging (the row path is the fallback)
MAX_ERRORS_KEPT = 200
Progress = Callable[[int, int], None]
_ERRORS_LOCK = threading.Lock()


class ImportFileError(DomainError):
    code, status = "import_file_invalid", 400


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class ImportResult:
    kind: str
    file: str
    dry_run: bool = False
    skip_invalid: bool = False
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    error_count: int = 0
    written: bool = False
    fatal: bool = False  # the file itself is unusable (missing columns, unreadable)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    mapping: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)  # rows (read, validate, write), summary, commit
    method: str = "rows"  # "staging": a CSV of orders validated and upserted set-based in SQL
    _kept: list = field(default_factory=list, repr=False)

    @property
    def failed(self) -> bool:
        """Errors and nothing written because of them."""
        return self.fatal or (bool(self.error_count) and not self.skip_invalid)

    def error(self, row: int, column: str, raw: Any, problem: str) -> None:
        """Count every error; keep the MAX_ERRORS_KEPT first by row, whatever order they are
        reported in (the reader thread and the writer both report), so that both import paths
        keep the same ones."""
        with _ERRORS_LOCK:
            self.error_count += 1
            seq = self.error_count
            kept = self._kept  # a heap of (-row, -seq, index in errors): the last kept on top
            full = len(self.errors) >= MAX_ERRORS_KEPT
            if full and (-row, -seq) < kept[0][:2]:
                return
            value = _shown(raw)
            message = _('第 %(row)s 行「%(column)s」值 "%(value)s" %(problem)s') % {
                "row": row,
                "column": column,
                "value": value,
                "problem": problem,
            }
            error = RowError(row, column, value, message)
            if full:
                at = kept[0][2]
                heapq.heapreplace(kept, (-row, -seq, at))
                self.errors[at] = error
            else:
                heapq.heappush(kept, (-row, -seq, len(self.errors)))
                self.errors.append(error)

    def sort_errors(self) -> None:
        """By row, then in the order reported (a row's cells in column order)."""
        reported = {at: -seq for _row, seq, at in self._kept}
        order = sorted(
            range(len(self.errors)), key=lambda i: (self.errors[i].row, reported.get(i, 0))
        )
        self.errors = [self.errors[i] for i in order]
        self._kept = []

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("_kept")
        data["errors"] = [asdict(e) for e in self.errors]
        return data


def _shown(raw: Any) -> str:
    text = "" if raw is None else str(raw)
    return text if len(text) <= 60 else text[:57] + "…"


class _Rollback(Exception):
    pass


@dataclass
class Context:
    """What every importer needs besides the rows."""

    mapping: Mapping
    result: ImportResult
    team: Team | None = None  # for customers with neither owner nor team column
    moments: v.Moments = field(default_factory=v.Moments)
    seen: SeenKeys = field(default_factory=lambda: SeenKeys())

    def label(self, name: str) -> str:
        return self.mapping.label(name)

    def drop_repeats(
        self, items: list, key_of: Callable, column: str, problem: str, shown=None
    ) -> list:
        """The items whose key is new to this file; an error on the row of every other one."""
        repeats = self.seen.repeats([key_of(item) for item in items])
        if not repeats:
            return items
        for i in repeats:
            self.result.error(items[i][0], column, (shown or key_of)(items[i]), problem)
        return [item for i, item in enumerate(items) if i not in repeats]


class SeenKeys:
    """The keys already met in this file, for the duplicate check. The first IN_MEMORY keys
    live in a set; beyond that they move to a private temporary SQLite file with a small
    cache, so memory stays bounded however long the file (a set costs ~100 bytes a key)."""

    IN_MEMORY = 200_000

    def __init__(self):
        self.keys: set = set()
        self.db: sqlite3.Connection | None = None

    def repeats(self, keys: list) -> set[int]:
        """Indexes of the keys seen before (in earlier chunks or earlier in this one)."""
        before = self._known(keys)
        repeats, fresh = set(), set()
        for i, key in enumerate(keys):
            if key in before or key in fresh:
                repeats.add(i)
            else:
                fresh.add(key)
        self._add(fresh)
        return repeats

    def _known(self, keys: list) -> set:
        if self.db is None:
            return self.keys.intersection(keys)
        query = "SELECT k FROM seen WHERE k IN (SELECT value FROM json_each(?))"
        return {k for (k,) in self.db.execute(query, (json.dumps(keys),))}

    def _add(self, fresh: set) -> None:
        if self.db is None:
            self.keys |= fresh
            if len(self.keys) <= self.IN_MEMORY:
                return
            fresh, self.keys = self.keys, set()
            self.db = sqlite3.connect("", check_same_thread=False)  # deleted when closed
            for pragma in ("cache_size = -8000", "journal_mode = OFF", "synchronous = OFF"):
                self.db.execute(f"PRAGMA {pragma}")
            self.db.execute("CREATE TABLE seen (k PRIMARY KEY) WITHOUT ROWID")
        self.db.executemany("INSERT INTO seen VALUES (?)", [(k,) for k in sorted(fresh)])

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


# ---- parsing helpers shared by the importers --------------------------------------------------


def _required_text(max_length: int) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        value = v.text(raw, max_length)
        if not value:
            raise v.Invalid(_("不能为空"))
        return value

    return parse


def _optional_text(max_length: int) -> Callable[[Any], str]:
    return lambda raw: v.text(raw, max_length)


def _cells(ctx: Context, parsers: dict[str, Callable[[Any], Any]]) -> list[tuple]:
    """[(field, column index, parser, header)] for the fields present in the file."""
    cells = [
        (name, ctx.mapping.index[name], parse, ctx.label(name))
        for name, parse in parsers.items()
        if name in ctx.mapping.index
    ]
    return sorted(cells, key=lambda cell: cell[1])  # errors in the file's column order


def _parse_row(ctx: Context, cells: list[tuple], row: int, raw: list) -> dict | None:
    out: dict[str, Any] = {}
    ok = True
    width = len(raw)
    for name, index, parse, label in cells:
        cell = raw[index] if index < width else ""
        try:
            out[name] = parse(cell)
        except v.Invalid as exc:
            ctx.result.error(row, label, cell, exc.problem)
            ok = False
    return out if ok else None


# ---- orders, complaints, interactions: keyed rows that reference a customer -----------------


class KeyedImporter(abc.ABC):
    """Rows with their own key (external_id or dedupe_key) that belong to a customer found
    through CustomerKey. Subclasses say which columns exist and how a row becomes a tuple."""

    table = ""
    key = "external_id"
    always: tuple[str, ...] = ()  # columns written on insert even when absent from the file
    text_columns: tuple[str, ...] = ()
    refresh_orders = False

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.cells = _cells(ctx, self.parsers())
        present = [name for name, *_ in self.cells]
        columns = [c for c in self.columns() if c in present or c in self.always]
        self.order = columns  # the parsed fields, in row order after customer_id
        updated = ["customer_id", *[c for c in columns if c in present and c != self.key]]
        self.target = Target(
            table=self.table,
            key=self.db(self.key),
            columns=("customer_id", *[self.db(c) for c in columns]),
            updated=tuple(self.db(c) for c in updated),
            text_columns=tuple(self.db(c) for c in columns if c in self.text_columns),
        )
        self.touched: set[int] = set()

    @abc.abstractmethod
    def parsers(self) -> dict[str, Callable[[Any], Any]]:
        """Field name -> parser of the cell's text, in the order rows are written."""

    def columns(self) -> list[str]:
        return [name for name in self.parsers() if name != "customer_external_id"]

    def db(self, name: str) -> str:
        return name

    def defaults(self) -> dict[str, Any]:
        return {}

    def process(self, batch: list[tuple[int, list]]) -> None:
        self.write(self.parse(batch), len(batch))

    def parse(self, batch: list[tuple[int, list]]) -> list[tuple[int, str, tuple]]:
        """Validate a chunk (pure Python, no database: it may run in the reader thread)."""
        ctx = self.ctx
        fast = self.fast_row()
        parsed: list[tuple[int, str, tuple]] = []
        append = parsed.append
        for row, raw in batch:
            if fast is not None:
                try:
                    customer_ext, values = fast(raw)
                except (v.Invalid, IndexError, AttributeError, TypeError, ValueError):
                    pass  # the general path below names the problem
                else:
                    append((row, customer_ext, values))
                    continue
            item = self.parse_row(row, raw)
            if item is not None:
                append(item)
        return ctx.drop_repeats(parsed, _first_value, *self.repeat_error())

    def repeat_error(self) -> tuple:
        """(column, problem[, shown value]) for a row whose key appeared earlier in the file."""
        return self.ctx.label(self.key), _("在文件中重复出现(以先出现的行为准)")

    def parse_row(self, row: int, raw: list) -> tuple[int, str, tuple] | None:
        data = _parse_row(self.ctx, self.cells, row, raw)
        if data is None:
            return None
        data = self.complete(data)
        defaults = self.defaults()
        values = tuple(data.get(c, defaults.get(c)) for c in self.order)
        return row, data["customer_external_id"], values

    def fast_row(self) -> Callable[[list], tuple[str, tuple]] | None:
        """Optionally, a row parser for the common well-formed row; it raises on anything
        else and the row goes through `parse_row`. Its values start with the key."""
        return None

    def write(self, parsed: list[tuple[int, str, tuple]], size: int) -> None:
        """Resolve customers (one query), then upsert the chunk."""
        result = self.ctx.result
        wanted = {p[1] for p in parsed}
        customers = lookup("customers_customerkey", "external_id", "customer_id", wanted)
        missing = wanted - customers.keys()
        if missing:
            label = self.ctx.label("customer_external_id")
            for row, customer_ext, _values in parsed:
                if customer_ext in missing:
                    result.error(row, label, customer_ext, _("找不到该客户编号,请先导入客户"))
            parsed = [p for p in parsed if p[1] not in missing]
        rows = [(customers[customer_ext], *values) for _row, customer_ext, values in parsed]
        result.skipped += size - len(rows)
        if result.error_count and not result.skip_invalid and not result.dry_run:
            return  # nothing will be written: validate the rest, don't write
        done = upsert(self.target, rows)
        result.created += done.created
        result.updated += done.updated
        result.unchanged += len(rows) - done.created - done.updated
        if self.refresh_orders and (done.created or done.updated):
            # Every customer of the chunk, and the former customer of orders that moved.
            self.touched.update(customers.values())
            self.touched.update(done.moved_from)

    def complete(self, data: dict) -> dict:
        return data

    def finish(self) -> None:
        if self.touched:
            refresh_order_summary(self.touched)


class OrderImporter(KeyedImporter):
    table = "customers_order"
    text_columns = ("product", "category", "channel")
    always = text_columns
    refresh_orders = True

    def parsers(self):
        moments = self.ctx.moments
        return {
            "external_id": _required_text(64),
            "customer_external_id": _required_text(64),
            "ordered_at": moments.utc_text,
            "amount": v.money,
            "product": _optional_text(128),
            "category": _optional_text(64),
            "channel": _optional_text(32),
        }

    def defaults(self):
        return {"product": "", "category": "", "channel": ""}

    def fast_row(self):
        index = self.ctx.mapping.index
        ext_i, cust_i = index["external_id"], index["customer_external_id"]
        at_i, amount_i = index["ordered_at"], index["amount"]
        optional = [(index.get(name), size) for name, size in OPTIONAL_ORDER_TEXT]
        (p_i, p_max), (c_i, c_max), (ch_i, ch_max) = optional
        utc_text, money_ok = self.ctx.moments.utc_text, v.FAST_MONEY.fullmatch

        def row(raw: list) -> tuple[str, tuple]:
            ext, customer = raw[ext_i].strip(), raw[cust_i].strip()
            amount = raw[amount_i]
            product = raw[p_i].strip() if p_i is not None else ""
            category = raw[c_i].strip() if c_i is not None else ""
            channel = raw[ch_i].strip() if ch_i is not None else ""
            if (
                not ext
                or not customer
                or len(ext) > 64
                or len(customer) > 64
                or len(product) > p_max
                or len(category) > c_max
                or len(channel) > ch_max
                or not money_ok(amount)
            ):
                raise v.Invalid("")
            return customer, (ext, utc_text(raw[at_i]), amount, product, category, channel)

        return row


OPTIONAL_ORDER_TEXT = (("product", 128), ("category", 64), ("channel", 32))


SEVERITIES = {"a": "A", "b": "B", "c": "C"}
STATUSES = {
    "open": "open",
    "处理中": "open",
    "resolved": "resolved",
    "已解决": "resolved",
    "closed": "closed",
    "已关闭": "closed",
}


class ComplaintImporter(KeyedImporter):
    table = "complaints_complaint"
    text_columns = ("channel", "category", "description", "severity", "status")
    always = text_columns

    def parsers(self):
        moments = self.ctx.moments
        return {
            "external_id": _required_text(64),
            "customer_external_id": _required_text(64),
            "created_at": moments.utc_text,
            "channel": _optional_text(32),
            "severity": lambda raw: v.choice(raw or "C", SEVERITIES, "A/B/C"),
            "category": _optional_text(64),
            "description": _optional_text(10000),
            "status": lambda raw: v.choice(
                raw or "open", STATUSES, "open/resolved/closed 或 处理中/已解决/已关闭"
            ),
            "resolved_at": lambda raw: moments.utc_text(raw) if _filled(raw) else None,
        }

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        # Rows inserted by this import are those above the highest id now (inside the
        # import's transaction); `finish` brings them into the complaint workflow.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.table}")
            self.since_id = cursor.fetchone()[0]

    def db(self, name):
        return "opened_at" if name == "created_at" else name

    def defaults(self):
        return {"channel": "", "category": "", "description": "", "severity": "C", "status": "open"}

    def write(self, parsed, size):
        super().write(parsed, size)
        from careloop.complaints.services import complaints_imported_status_sync

        complaints_imported_status_sync(external_ids=[values[0] for _r, _c, values in parsed])

    def finish(self) -> None:
        """Number, stage, SLA clocks and repeat links of the new complaints, set-based, in the
        import's transaction (a dry run or a failed import leaves no number behind);
        unchanged and updated rows keep theirs."""
        from careloop.complaints.services import complaints_adopt_imported

        complaints_adopt_imported(since_id=self.since_id)


CHANNELS = {
    "phone": "phone",
    "电话": "phone",
    "sms": "sms",
    "短信": "sms",
    "wechat": "wechat",
    "微信": "wechat",
    "email": "email",
    "邮件": "email",
    "visit": "visit",
    "上门": "visit",
    "拜访": "visit",
    "web": "web",
    "网页": "web",
    "": "",
}
INTERACTION_KINDS = {
    "consult": "consult",
    "咨询": "consult",
    "complaint": "complaint",
    "投诉": "complaint",
    "suggestion": "suggestion",
    "建议": "suggestion",
    "callback": "callback",
    "回访": "callback",
    "survey": "survey",
    "调查": "survey",
    "message": "message",
    "消息": "message",
}


EMOTION_COLUMNS = ("emotion", "high_risk", "emotion_cues")


class InteractionImporter(KeyedImporter):
    """Contacts; each chunk's texts are classified in one call (careloop.emotion), and a
    re-import writes a row again only when its text now classifies differently."""

    table = "customers_interaction"
    key = "dedupe_key"
    text_columns = ("channel", "text", "emotion", "emotion_cues")
    always = ("dedupe_key", "channel", "text", *EMOTION_COLUMNS)

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        updated = (*self.target.updated, *EMOTION_COLUMNS)
        self.target = replace(self.target, updated=updated)
        self.text_at = self.order.index("text")

    def parsers(self):
        moments = self.ctx.moments
        return {
            "customer_external_id": _required_text(64),
            "occurred_at": moments.utc_text,
            "channel": lambda raw: v.choice(raw, CHANNELS, "phone/sms/wechat/email/visit/web"),
            "kind": lambda raw: v.choice(
                raw, INTERACTION_KINDS, "consult/complaint/suggestion/callback/survey/message"
            ),
            "text": _optional_text(10000),
            "nps": lambda raw: v.integer(raw, 0, 10),
            "csat": lambda raw: v.integer(raw, 1, 5),
        }

    def columns(self):
        return ["dedupe_key", *super().columns(), *EMOTION_COLUMNS]

    def defaults(self):
        return {"channel": "", "text": "", "emotion": "", "high_risk": False, "emotion_cues": ""}

    def parse(self, batch):
        parsed = super().parse(batch)
        found = interactions_emotion([values[self.text_at] for _row, _ext, values in parsed])
        n = len(EMOTION_COLUMNS)
        return [
            (row, ext, values[:-n] + emotion)
            for (row, ext, values), emotion in zip(parsed, found, strict=True)
        ]

    def repeat_error(self):
        column = self.ctx.label("customer_external_id")
        problem = _("与本文件中前面的一行完全相同(重复的接触记录)")
        return column, problem, lambda item: item[1]

    def complete(self, data):
        parts = [data["customer_external_id"], data["occurred_at"], data.get("channel", "")]
        parts += [data["kind"], data.get("text", "")]
        data["dedupe_key"] = dedupe_key(*parts)
        return data


def dedupe_key(customer_external_id: str, occurred_at: str, channel: str, kind: str, text: str):
    """sha1 of customer_external_id|occurred_at (UTC)|channel|kind|text: re-imports match."""
    raw = "|".join((customer_external_id, occurred_at, channel, kind, text))
    return hashlib.sha1(raw.encode()).hexdigest()


def _first_value(item: tuple[int, str, tuple]) -> Any:
    return item[2][0]  # the key: external_id or dedupe_key


def _filled(raw: Any) -> bool:
    return raw is not None and str(raw).strip() != ""


# ---- customers ------------------------------------------------------------------------------


class CustomerImporter:
    """Customers: matched by any external id (CustomerKey), then by normalised phone; new ids
    of a customer found by phone become aliases. Written per chunk with bulk operations."""

    # The profile fields a file may carry; owner and team are resolved separately.
    FIELDS = tuple(f for f in EDITABLE_FIELDS if f not in {"external_id", "owner", "team"})

    def __init__(self, ctx: Context):
        self.ctx = ctx
        moments = ctx.moments
        parsers = {
            "external_id": _required_text(64),
            "name": _required_text(100),
            "gender": v.gender,
            "phone": v.phone,
            "email": v.email,
            "birthday": lambda raw: _date(moments.date_text(raw)) if _filled(raw) else None,
            "region": _optional_text(32),
            "city": _optional_text(32),
            "industry": _optional_text(32),
            "company": _optional_text(128),
            "tags": lambda raw: _tags(v.text(raw, 2000)),
            "owner": _optional_text(150),
            "team": _optional_text(64),
            "do_not_contact": v.flag,
            "registered_at": lambda raw: _moment(moments.utc_text(raw)) if _filled(raw) else None,
        }
        self.cells = _cells(ctx, parsers)
        self.fields = [f for f in self.FIELDS if f in ctx.mapping.index]
        self.users: dict[str, User | None] = {}
        self.teams: dict[str, Team | None] = {}
        self.names: dict[str, dict[str, str]] = {}

    def process(self, batch: list[tuple[int, list]]) -> None:
        from careloop.customers.models import Customer, CustomerKey
        from careloop.customers.services import derived_name_fields

        ctx, result = self.ctx, self.ctx.result
        rows = []
        for row, raw in batch:
            data = _parse_row(ctx, self.cells, row, raw)
            if data is not None and self._resolve_people(row, data):
                rows.append((row, data))
        column, problem = ctx.label("external_id"), _("在文件中重复出现(以先出现的行为准)")
        rows = ctx.drop_repeats(rows, lambda item: item[1]["external_id"], column, problem)
        result.skipped += len(batch) - len(rows)
        if result.error_count and not result.skip_invalid and not result.dry_run:
            return
        keys = lookup(
            "customers_customerkey",
            "external_id",
            "customer_id",
            [d["external_id"] for _, d in rows],
        )
        phones = {d["phone"] for _, d in rows if d.get("phone")}
        by_phone: dict[str, int] = {}
        for pk, phone in (
            Customer.objects.filter(phone__in=phones).order_by("-id").values_list("id", "phone")
        ):
            by_phone[phone] = pk  # the oldest customer with that phone wins
        matched = {
            r: keys.get(d["external_id"]) or by_phone.get(d.get("phone") or "") for r, d in rows
        }
        existing = Customer.objects.in_bulk({pk for pk in matched.values() if pk})
        new_by_phone: dict[str, Customer] = {}
        created: list[Customer] = []
        changed: dict[int, Customer] = {}
        aliases: list[tuple[str, Customer]] = []
        tag_plan: list[tuple[Customer, list[str]]] = []
        touched: set[int] = set()
        update_fields: set[str] = set()
        for row, data in rows:
            pk = matched[row]
            customer = existing.get(pk) if pk else new_by_phone.get(data.get("phone") or "")
            if customer is None:
                customer = Customer(external_id=data["external_id"], team=self._team(data, None))
                self._assign(customer, data, derived_name_fields)
                created.append(customer)
                if customer.phone:
                    new_by_phone[customer.phone] = customer
            else:
                fields = self._assign(customer, data, derived_name_fields)
                if customer.pk and fields:
                    changed[customer.pk] = customer
                    update_fields |= fields
                if data["external_id"] not in keys:
                    aliases.append((data["external_id"], customer))
                if customer.pk:
                    touched.add(customer.pk)
            if "tags" in data:
                tag_plan.append((customer, data["tags"]))
        Customer.objects.bulk_create(created, batch_size=2000)
        if changed:
            Customer.objects.bulk_update(
                list(changed.values()), sorted(update_fields), batch_size=1000
            )
        CustomerKey.objects.bulk_create(
            [CustomerKey(external_id=c.external_id, customer=c) for c in created]
            + [CustomerKey(external_id=ext, customer=c) for ext, c in aliases],
            batch_size=2000,
        )
        tagged = self._set_tags(tag_plan)
        updated_ids = set(changed) | {c.pk for _, c in aliases} | tagged
        result.created += len(created)
        result.updated += len(updated_ids & touched)
        result.unchanged += len(touched - updated_ids)

    def _resolve_people(self, row: int, data: dict) -> bool:
        ok = True
        for name in ("owner", "team"):
            if name in data and not data[name]:
                data[name] = None
        if data.get("owner"):
            name = data["owner"]
            if name not in self.users:
                self.users[name] = User.objects.select_related("team").filter(username=name).first()
            data["owner"] = self.users[name]
            if data["owner"] is None:
                self.ctx.result.error(row, self.ctx.label("owner"), name, _("不是已有的用户名"))
                ok = False
        if data.get("team"):
            name = data["team"]
            if name not in self.teams:
                self.teams[name] = (
                    Team.objects.filter(code=name).first() or Team.objects.filter(name=name).first()
                )
            data["team"] = self.teams[name]
            if data["team"] is None:
                self.ctx.result.error(row, self.ctx.label("team"), name, _("不是已有的团队"))
                ok = False
        return ok

    def _team(self, data: dict, current: Team | None) -> Team | None:
        if data.get("team"):
            return data["team"]
        owner = data.get("owner")
        if owner is not None and owner.team_id:
            return owner.team
        return current or self.ctx.team

    def _assign(self, customer, data: dict, derived) -> set[str]:
        """Copy the file's fields onto the customer; returns the changed field names."""
        from careloop.core.phones import phone_tail

        changed = set()
        for name in self.fields:
            if getattr(customer, name) != data[name]:
                setattr(customer, name, data[name])
                changed.add(name)
        if "owner" in self.ctx.mapping.index and customer.owner_id != getattr(
            data.get("owner"), "pk", None
        ):
            customer.owner = data.get("owner")
            changed.add("owner")
        team = self._team(data, customer.team) if customer.pk else customer.team
        if customer.pk and team is not None and customer.team_id != team.pk:
            customer.team = team
            changed.add("team")
        if "name" in changed or not customer.name_pinyin:
            if customer.name not in self.names:  # names repeat: pinyin once per name
                self.names[customer.name] = derived(customer.name)
            for key, value in self.names[customer.name].items():
                if getattr(customer, key) != value:
                    setattr(customer, key, value)
                    changed.add(key)
        if customer.phone_tail != phone_tail(customer.phone):
            customer.phone_tail = phone_tail(customer.phone)
            changed.add("phone_tail")
        if changed and customer.pk:
            changed.add("updated_at")
            customer.updated_at = timezone.now()
        return changed

    def _set_tags(self, plan: list[tuple[Any, list[str]]]) -> set[int]:
        """Make each customer's tags exactly the file's; returns the ids whose tags changed."""
        from careloop.customers.models import Customer, Tag

        if not plan:
            return set()
        names = {n for _, tags in plan for n in tags}
        Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
        through = Customer.tags.through
        wanted = {c.pk: {tag_ids[n] for n in tags} for c, tags in plan}
        current: dict[int, set[int]] = {pk: set() for pk in wanted}
        for customer_id, tag_id in through.objects.filter(customer_id__in=wanted).values_list(
            "customer_id", "tag_id"
        ):
            current[customer_id].add(tag_id)
        add, drop, changed = [], [], set()
        for pk, tags in wanted.items():
            if tags != current[pk]:
                changed.add(pk)
                add += [through(customer_id=pk, tag_id=t) for t in tags - current[pk]]
                drop += [(pk, t) for t in current[pk] - tags]
        through.objects.bulk_create(add, batch_size=5000)
        for pk, tag_id in drop:
            through.objects.filter(customer_id=pk, tag_id=tag_id).delete()
        return changed

    def finish(self) -> None:
        pass


def _tags(raw: str) -> list[str]:
    from careloop.customers.services import split_tags

    return split_tags(raw)


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


IMPORTERS = {
    "customers": CustomerImporter,
    "orders": OrderImporter,
    "complaints": ComplaintImporter,
    "interactions": InteractionImporter,
}


# ---- the services ---------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in SPECS:
        raise ImportFileError(
            _("未知的导入类型:%(kind)s(可选 %(kinds)s)") % {"kind": kind, "kinds": "/".join(KINDS)},
            field="kind",
        )


def _missing_error(result: ImportResult, exc: MissingColumns) -> None:
    result.fatal = True
    for column in exc.columns:
        result.error_count += 1
        message = _("缺少必需的列「%(label)s」(%(name)s)") % {
            "label": column.label,
            "name": column.name,
        }
        result.errors.append(RowError(1, column.label, "", message))


def import_preview(*, kind: str, path: str | Path, rows: int = 10) -> dict:
    """The detected mapping, unknown columns and the first rows, before anything is written."""
    _check_kind(kind)
    with open_table(path) as table:
        header = table.header
        sample = []
        for raw in table.rows:
            if len(sample) >= rows:
                break
            if any(str(c).strip() for c in raw):
                sample.append([_shown(c) for c in raw[: len(header)]])
        try:
            mapping = detect(SPECS[kind], header)
            missing = []
        except MissingColumns as exc:
            mapping, missing = None, [f"{c.label}({c.name})" for c in exc.columns]
    return {
        "kind": kind,
        "header": header,
        "columns": mapping.as_rows() if mapping else [],
        "unknown": mapping.unknown if mapping else [],
        "missing": missing,
        "rows": sample,
        "total_estimate": table.total_estimate,
        "encoding": table.encoding,
    }


def import_file(
    *,
    kind: str,
    path: str | Path,
    actor: User | None = None,
    team: Team | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportResult:
    """Import one file. Nothing is written when it has errors (unless `skip_invalid`) or with
    `dry_run`; either way the result has the same counts, errors and warnings."""
    _check_kind(kind)
    result = ImportResult(
        kind=kind, file=Path(path).name, dry_run=dry_run, skip_invalid=skip_invalid
    )
    started = timezone.now()
    with open_table(path) as table:
        try:
            mapping = detect(SPECS[kind], table.header)
        except MissingColumns as exc:
            _missing_error(result, exc)
            return result
        result.mapping = mapping.to_dict()
        result.warnings = mapping.warnings()
        if progress:
            progress(0, table.total_estimate)
        began = time.perf_counter()
        try:
            with transaction.atomic():
                _run(kind, path, table, mapping, result, team, progress, chunk_rows)
                if dry_run or result.failed:
                    raise _Rollback
                result.written = True
                committing = time.perf_counter()
            result.seconds["commit"] = round(time.perf_counter() - committing, 3)
        except _Rollback:
            pass
        result.seconds["total"] = round(time.perf_counter() - began, 3)
    if result.failed and not dry_run:
        result.created = result.updated = result.unchanged = 0
    log.info(
        "import.done",
        extra={
            "import_kind": kind,
            "rows_total": result.total,
            "rows_created": result.created,
            "rows_errors": result.error_count,
            "seconds": (timezone.now() - started).total_seconds(),
        },
    )
    return result


def _run(kind, path, table, mapping, result, team, progress, chunk_rows) -> None:
    ctx = Context(mapping=mapping, result=result, team=team)
    if kind == "orders" and STAGING and table.encoding != "xlsx":
        from careloop.imports.staging import stage_orders

        if stage_orders(OrderImporter(ctx), path, table, result, progress):
            return
    try:
        _run_chunks(ctx, table, progress, chunk_rows)
    finally:
        ctx.seen.close()


def _run_chunks(ctx: Context, table, progress, chunk_rows) -> None:
    result = ctx.result
    importer = IMPORTERS[result.kind](ctx)
    total = table.total_estimate
    if isinstance(importer, KeyedImporter):
        chunks = _pipelined(_chunks(table.rows, chunk_rows), importer.parse)
        with secondary_indexes_deferred(importer.table, expected_rows=total):
            for size, parsed in chunks:
                result.total += size
                importer.write(parsed, size)
                _forget_queries()
                if progress:
                    progress(result.total, max(total, result.total))
    else:
        for size, batch in _chunks(table.rows, chunk_rows):
            result.total += size
            importer.process(batch)
            _forget_queries()
            if progress:
                progress(result.total, max(total, result.total))
    began = time.perf_counter()
    if not result.failed or result.dry_run:
        importer.finish()
    result.seconds["summary"] = round(time.perf_counter() - began, 3)
    result.sort_errors()
    if not result.skip_invalid:
        result.skipped = 0


def _forget_queries() -> None:
    """With DEBUG on (the embedded default), Django keeps the last 9,000 queries' SQL; ours carry
    10,000 keys each, so keep memory flat by dropping them after every chunk."""
    if settings.DEBUG:
        reset_queries()


def _chunks(rows: Iterator[list], size: int) -> Iterator[tuple[int, list[tuple[int, list]]]]:
    """(row count, [(row number as in Excel, cells)]) per chunk; blank rows are dropped."""
    batch: list[tuple[int, list]] = []
    for row, raw in enumerate(rows, start=2):
        if any(raw):
            batch.append((row, raw))
            if len(batch) >= size:
                yield len(batch), batch
                batch = []
    if batch:
        yield len(batch), batch


def _pipelined(chunks, parse) -> Iterator[tuple[int, Any]]:
    """Read and validate the next chunks in a thread while this one is written: the database
    works (without the GIL) while Python parses. At most two chunks wait: memory stays flat."""
    out: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    language = translation.get_language()

    def produce() -> None:
        translation.activate(language)  # error messages in the caller's language
        try:
            for size, batch in chunks:
                item = (size, parse(batch))
                while not stop.is_set():
                    try:
                        out.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            out.put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            out.put(exc)

    worker = threading.Thread(target=produce, name="import-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


# ---- jobs (web uploads, API) ----------------------------------------------------------------


def _may_import(actor: User) -> None:
    if not (actor.is_admin or actor.is_supervisor):
        raise PermissionDenied(_("只有主管和管理员可以导入数据"))


@transaction.atomic
def import_job_create(
    *, actor: User, kind: str, upload, dry_run: bool = False, skip_invalid: bool = False
) -> ImportJob:
    """Save the uploaded file under MEDIA_ROOT/imports/ and record a pending job."""
    _may_import(actor)
    _check_kind(kind)
    name = Path(getattr(upload, "name", "") or "upload.csv").name
    if Path(name).suffix.lower() not in {".csv", ".txt", ".xlsx"}:
        raise ImportFileError(_("只支持 CSV 或 XLSX 文件"), field="file")
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}_{get_valid_filename(name) or 'upload.csv'}"
    with target.open("wb") as out:
        for part in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            out.write(part)
    job = ImportJob(
        kind=kind,
        file=str(target),
        original_name=name[:255],
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        created_by=actor,
        team=None if actor.is_admin else actor.team,
    )
    job.full_clean()
    job.save()
    return job


def import_job_for(user: User, job_id: int) -> ImportJob:
    """The job if the user may see it (their own; admin all)."""
    _may_import(user)
    jobs = ImportJob.objects.select_related("created_by")
    if not user.is_admin:
        jobs = jobs.filter(created_by=user)
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("导入任务不存在"))
    return job


def import_job_list(*, user: User):
    _may_import(user)
    jobs = ImportJob.objects.select_related("created_by")
    return jobs if user.is_admin else jobs.filter(created_by=user)


@transaction.atomic
def import_job_start(*, actor: User, job: ImportJob, dry_run: bool) -> ImportJob:
    """Queue the job (a finished one is copied: the same file runs again as a new job)."""
    from careloop.imports.tasks import import_file_job

    _may_import(actor)
    if job.status != ImportJob.Status.PENDING:
        job = ImportJob(
            kind=job.kind,
            file=job.file,
            original_name=job.original_name,
            skip_invalid=job.skip_invalid,
            created_by=actor,
            team=job.team,
        )
    job.dry_run = dry_run
    job.save()
    transaction.on_commit(lambda: import_file_job(job.pk))
    return job


PROGRESS_KEY = "careloop:import-progress:{}"


def _progress_put(job_id: int, done: int, total: int) -> None:
    # The import runs in one transaction, so progress goes through the queue's store, which
    # every web process can read (SQLite file or Redis), not through the database.
    from huey.contrib.djhuey import HUEY

    HUEY.put(PROGRESS_KEY.format(job_id), (done, total))


def import_job_progress(job: ImportJob) -> tuple[int, int]:
    """(processed, total) rows of a running job."""
    from huey.contrib.djhuey import HUEY

    if job.status != ImportJob.Status.RUNNING:
        return job.processed_rows, job.total_rows
    value = HUEY.get(PROGRESS_KEY.format(job.pk), peek=True)
    return value if value else (job.processed_rows, job.total_rows)


def _job_failure(job: ImportJob, message: str) -> ImportResult:
    result = ImportResult(kind=job.kind, file=job.original_name, dry_run=job.dry_run)
    result.fatal, result.error_count = True, 1
    result.errors = [RowError(0, "", "", message)]
    return result


def _progress_clear(job_id: int) -> None:
    from huey.contrib.djhuey import HUEY

    HUEY.get(PROGRESS_KEY.format(job_id))  # reading without peek removes it


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a saved job (the Huey job calls this); safe to run twice: a finished job is kept."""
    job = ImportJob.objects.select_related("created_by", "team").get(pk=job_id)
    if job.status not in {ImportJob.Status.PENDING, ImportJob.Status.RUNNING}:
        return job
    job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    try:
        result = import_file(
            kind=job.kind,
            path=job.file,
            actor=job.created_by,
            team=job.team,
            dry_run=job.dry_run,
            skip_invalid=job.skip_invalid,
            progress=lambda done, total: _progress_put(job.pk, done, total),
        )
    except DomainError as exc:  # an unreadable file
        result = _job_failure(job, exc.message)
    except DatabaseError as exc:  # rolled back: nothing was written
        log.exception("import.database_error", extra={"job_id": job.pk})
        result = _job_failure(job, _("数据库错误,未写入任何数据:%(error)s") % {"error": exc})
    finally:
        _progress_clear(job.pk)
    job.total_rows = job.processed_rows = result.total
    for name in ("created", "updated", "unchanged", "skipped", "error_count", "warnings"):
        setattr(job, name, getattr(result, name))
    job.errors = [asdict(e) for e in result.errors]
    job.mapping = result.mapping
    job.status = ImportJob.Status.FAILED if result.failed else ImportJob.Status.DONE
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save()
        _audit(job.created_by, result, job)
    return job


def _audit(actor: User | None, result: ImportResult, job: ImportJob | None = None) -> None:
    detail = {k: getattr(result, k) for k in ("kind", "file", "dry_run", "skip_invalid")}
    detail |= {k: getattr(result, k) for k in ("total", "created", "updated", "unchanged")}
    detail |= {"errors": result.error_count, "written": result.written}
    audit_record(
        actor=actor,
        action="import.dry_run" if result.dry_run else "import.run",
        target=job,
        target_type="importjob",
        target_id=str(job.pk) if job else result.file,
        detail=detail,
    )


@transaction.atomic
def import_audit(*, actor: User | None, result: ImportResult) -> None:
    """Audit a run that had no job (the CLI)."""
    _audit(actor, result)
