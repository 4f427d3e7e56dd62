"""Orders from a CSV file, the bulk way: the data rows go into a staging table untouched and are
validated and upserted set-based in SQL.

PostgreSQL: `COPY careloop_stage FROM STDIN (FORMAT csv, ENCODING …)` streams the file's bytes
after the header line (row numbers from an identity column: COPY keeps the file's order, so
row_no + 1 is the CSV record number + 1, what Excel shows). SQLite: `executemany` of the
`csv.reader` rows into a TEMP table (no parsing in Python).

Then, in SQL: a row whose cells have the common well-formed shape (order number and customer
number non-empty and short enough, `YYYY-MM-DD[ HH:MM[:SS]]` on a real calendar day from 1992
on, amount `-?\\d{1,12}(\\.\\d{1,2})?`, text lengths) is taken as it is. Every other non-blank row
(rare in a clean export) is handed to the Python validators of the row path
(`OrderImporter.parse_row`), which either accept it (other date or money spellings) or name the
problem: the messages are the row path's by construction. Duplicate order numbers (the later row
is the error) and unknown customers (LEFT JOIN customers_customerkey) are found set-based, with
the row path's message templates; then one INSERT … SELECT … ON CONFLICT (external_id) DO UPDATE
… WHERE changed.

Time zone: naive times are settings.TIME_ZONE. PostgreSQL converts with its own zone database
(`AT TIME ZONE`); SQLite with a fixed offset, so this path is only taken when the zone's offset
has been constant since 1992 (Asia/Shanghai: +08:00, no DST since 1991), and dates before 1992
always go through the Python validators (zoneinfo).

Anything this path cannot take as it is — a header line with quotes, a ragged or blank line, bad
bytes for the encoding — makes `stage_orders` return False with nothing changed (a savepoint is
rolled back), and the caller runs the row path, which reports such files exactly as before.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import heapq
import io
import sqlite3
import time
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

STAGE = "careloop_stage"
FIXED = "careloop_stage_fixed"
ROWS = "careloop_stage_rows"
DUPS = "careloop_stage_dups"
FIRST_FIXED_YEAR = 1992
COPY_BLOCK = 1 << 20
FETCH_ROWS = 10_000
TEMP_CACHE_KIB = 32_000  # SQLite: the staging tables' page cache
TEXT_LIMITS = {"external_id": 64, "customer_external_id": 64}
OPTIONAL_TEXT = (("product", 128), ("category", 64), ("channel", 32))

# Python's str.strip() removes these; SQL trim must remove the same.
WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())

PG_MONEY = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"


class _Fallback(Exception):
    """The file cannot take this path; the savepoint is rolled back."""


@cache
def fixed_offset_minutes(tz_name: str) -> int | None:
    """The zone's UTC offset in minutes if it has not changed since FIRST_FIXED_YEAR."""
    tz = ZoneInfo(tz_name)
    offsets = {
        datetime(year, month, 1, 12, tzinfo=tz).utcoffset()
        for year in range(FIRST_FIXED_YEAR, 2100)
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        return None
    offset = offsets.pop() or timedelta(0)
    return int(offset.total_seconds() // 60)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _header_end(path, encoding: str, header: list[str]) -> int | None:
    """Byte offset of the first data row, or None when the header line is not a plain line
    (quotes, no newline, or it does not read as the header the row path saw)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    start = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    end = head.find(b"\n", start)
    if end < 0 or b'"' in head[start:end]:
        return None
    codec = "gb18030" if encoding == "gb18030" else "utf-8"
    try:
        line = head[start:end].decode(codec)
    except UnicodeDecodeError:
        return None
    if next(csv.reader([line.rstrip("\r")]), []) != header:
        return None
    return end + 1


def stage_orders(importer, path, table, result, progress) -> bool:
    """Import the orders of a CSV file through the staging table; False (nothing changed) when
    the file must take the row path instead."""
    if connection.vendor not in {"postgresql", "sqlite"}:
        return False
    offset = fixed_offset_minutes(settings.TIME_ZONE)
    if offset is None:
        return False
    skip = _header_end(path, table.encoding, table.header)
    if skip is None:
        return False
    width = len(table.header)
    try:
        with transaction.atomic():
            _Staged(importer, path, table, result, width, skip, offset, progress).run()
    except _Fallback:
        return False
    return True


class _Staged:
    def __init__(self, importer, path, table, result, width, skip, offset, progress):
        self.importer = importer
        self.ctx = importer.ctx
        self.path, self.table, self.result = path, table, result
        self.width, self.skip, self.offset, self.progress = width, skip, offset, progress
        self.pg = connection.vendor == "postgresql"
        self.cols = [f"c{i}" for i in range(width)]

    # ---- SQL pieces -------------------------------------------------------------------------

    def length(self, sql: str) -> str:
        return f"{'char_length' if self.pg else 'length'}({sql})"

    def cell(self, name: str) -> str | None:
        index = self.ctx.mapping.index.get(name)
        return None if index is None else f"s.c{index}"

    def text(self, name: str) -> str:
        """The cell as stored: a clean row's text cells have no surrounding whitespace, so
        they need no trim (a trim with Python's whitespace set costs ~0.5 µs a cell)."""
        return self.cell(name) or "''"

    def edges_ok(self, c: str) -> str:
        """Neither the first nor the last character is whitespace (c not empty)."""
        if self.pg:
            head, tail, find = f"left({c}, 1)", f"right({c}, 1)", "strpos"
        else:
            head, tail, find = f"substr({c}, 1, 1)", f"substr({c}, -1)", "instr"
        spaces = _literal(WHITESPACE)
        return f"{find}({spaces}, {head}) = 0 AND {find}({spaces}, {tail}) = 0"

    def clean(self) -> str:
        """True for a row of the common well-formed shape (never NULL)."""
        parts = []
        for name, limit in TEXT_LIMITS.items():
            c = self.cell(name)
            parts.append(f"{c} <> '' AND {self.length(c)} <= {limit} AND {self.edges_ok(c)}")
        for name, limit in OPTIONAL_TEXT:
            if c := self.cell(name):
                parts.append(f"{self.length(c)} <= {limit} AND ({c} = '' OR ({self.edges_ok(c)}))")
        parts.append(self.date_ok(self.cell("ordered_at")))
        parts.append(self.money_ok(self.cell("amount")))
        return "(CASE WHEN " + " AND ".join(f"({p})" for p in parts) + " THEN 1 ELSE 0 END) = 1"

    def date_ok(self, x: str) -> str:
        if not self.pg:
            return (
                f"length({x}) IN (10, 16, 19) AND {x} >= '{FIRST_FIXED_YEAR}'"
                f" AND {x} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"
                f" AND date(substr({x}, 1, 10), '+0 days') IS substr({x}, 1, 10)"
                f" AND (length({x}) = 10 OR (substr({x}, 11, 6) GLOB ' [0-2][0-9]:[0-5][0-9]'"
                f" AND substr({x}, 12, 2) <= '23'"
                f" AND (length({x}) = 16 OR substr({x}, 17) GLOB ':[0-5][0-9]')))"
            )
        y, m, d = (f"substr({x}, {a}, {n})::int" for a, n in ((1, 4), (6, 2), (9, 2)))
        leap = (
            f"(CASE WHEN (mod({y}, 4) = 0 AND mod({y}, 100) <> 0) OR mod({y}, 400) = 0"
            " THEN 1 ELSE 0 END)"
        )
        days = f"(CASE WHEN {m} = 2 THEN 28 + {leap} ELSE 31 - mod(mod({m} - 1, 7), 2) END)"
        # The shape without a costly regex (~3 µs a row): only digits and separators, the
        # separators where LIKE puts them and as many digits as the shape has. CASE fixes the
        # order: the casts only run on text of the right shape.
        digits = f"length(replace(replace(replace({x}, '-', ''), ':', ''), ' ', ''))"
        shape = (
            f"{x} ~ '^[-0-9: ]*$' AND (({x} LIKE '____-__-__' AND {digits} = 8)"
            f" OR ({x} LIKE '____-__-__ __:__' AND {digits} = 12)"
            f" OR ({x} LIKE '____-__-__ __:__:__' AND {digits} = 14))"
        )
        clock = (
            f"substr({x}, 12, 2) <= '23' AND substr({x}, 15, 2) <= '59'"
            f" AND substr({x}, 18, 2) <= '59'"
        )
        return (
            f"CASE WHEN {shape} AND {x} >= '{FIRST_FIXED_YEAR}' THEN"
            f" CASE WHEN {m} BETWEEN 1 AND 12 AND {d} >= 1 AND {clock} THEN {d} <= {days}"
            " ELSE false END ELSE false END"
        )

    def money_ok(self, a: str) -> str:
        if self.pg:
            return f"{a} ~ {_literal(PG_MONEY)}"
        y = f"(CASE WHEN substr({a}, 1, 1) = '-' THEN substr({a}, 2) ELSE {a} END)"
        dot = f"instr({y}, '.')"
        return (
            f"{y} <> '' AND {y} NOT GLOB '*[^0-9.]*' AND (({dot} = 0 AND length({y}) <= 12)"
            f" OR ({dot} BETWEEN 2 AND 13 AND length({y}) - {dot} IN (1, 2)"
            f" AND substr({y}, {dot} + 1) NOT GLOB '*.*'))"
        )

    def utc(self, x: str) -> str:
        if self.pg:
            return f"({x}::timestamp AT TIME ZONE %(tz)s)"
        return f"datetime({x}, '{-self.offset:+d} minutes')"

    def blank(self) -> str:
        return " AND ".join(f"s.{c} = ''" for c in self.cols)

    # ---- the steps ----------------------------------------------------------------------------

    def run(self) -> None:
        result, seconds = self.result, self.result.seconds
        if self.progress:
            self.progress(0, self.table.total_estimate)
        began = time.perf_counter()
        with connection.cursor() as cursor:
            self.cursor = cursor
            self.drop()
            self.load()
            seconds["stage"] = round(time.perf_counter() - began, 3)
            began = time.perf_counter()
            self.collect_rows()
            self.execute(f"SELECT COUNT(*) FROM {ROWS}")
            result.total = cursor.fetchone()[0]
            parse_errors = self.fix_rows()
            valid = self.report_errors(parse_errors)
            result.skipped = result.total - valid if result.skip_invalid else 0
            seconds["validate"] = round(time.perf_counter() - began, 3)
            began = time.perf_counter()
            touched: set[int] = set()
            if not result.error_count or result.skip_invalid or result.dry_run:
                from careloop.imports.sql import secondary_indexes_deferred

                with secondary_indexes_deferred(self.importer.table, expected_rows=result.total):
                    touched = self.write()
            seconds["write"] = round(time.perf_counter() - began, 3)
            began = time.perf_counter()
            if touched and (not result.failed or result.dry_run):
                from careloop.imports.sql import refresh_order_summary

                refresh_order_summary(touched)
            seconds["summary"] = round(time.perf_counter() - began, 3)
            self.drop()
        result.method = "staging"
        if self.progress:
            self.progress(result.total, max(result.total, self.table.total_estimate))

    def drop(self) -> None:
        """Temp tables live until the session ends (ON COMMIT DROP only helps outside an
        enclosing transaction, e.g. not in tests): drop them before and after."""
        schema = "pg_temp" if self.pg else "temp"
        for name in (STAGE, FIXED, ROWS, DUPS):
            self.cursor.execute(f"DROP TABLE IF EXISTS {schema}.{name}")

    def execute(self, sql: str) -> None:
        if "%(tz)s" in sql:
            self.cursor.execute(sql, {"tz": settings.TIME_ZONE})
        else:
            self.cursor.execute(sql)

    def load(self) -> None:
        cols = ", ".join(self.cols)
        typed = ", ".join(f"{c} text" for c in self.cols)
        if self.pg:
            self.execute(
                f"CREATE TEMP TABLE {STAGE} (row_no bigint GENERATED ALWAYS AS IDENTITY, {typed})"
                " ON COMMIT DROP"
            )
            encoding = "GB18030" if self.table.encoding == "gb18030" else "UTF8"
            sql = (
                f"COPY {STAGE} ({cols}) FROM STDIN (FORMAT csv, ENCODING '{encoding}',"
                f" FORCE_NOT_NULL ({cols}))"
            )
            try:
                with self.cursor.cursor.copy(sql) as copy, open(self.path, "rb") as fh:
                    fh.seek(self.skip)
                    while block := fh.read(COPY_BLOCK):
                        copy.write(block)
            except (DatabaseError, Exception) as exc:
                if _is_copy_data_error(exc):
                    raise _Fallback from exc
                raise
            return
        _temp_tables_on_disk()
        self.execute(f"CREATE TEMP TABLE {STAGE} (row_no INTEGER PRIMARY KEY, {typed})")
        marks = ", ".join("?" for _ in self.cols)
        raw = connection.connection.cursor()
        codec = "gb18030" if self.table.encoding == "gb18030" else "utf-8"
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.skip)
                text = io.TextIOWrapper(fh, encoding=codec, newline="")
                raw.executemany(f"INSERT INTO {STAGE} ({cols}) VALUES ({marks})", csv.reader(text))
        except (sqlite3.ProgrammingError, UnicodeDecodeError, csv.Error) as exc:
            raise _Fallback from exc  # ragged or blank lines, bad bytes: the row path reports
        finally:
            raw.close()

    def collect_rows(self) -> None:
        """ROWS: every non-blank row, `ok` when of the common shape, with its values (trimmed,
        the time in UTC) and its customer (NULL when unknown). One pass over the staging table:
        the shape test runs once a row (OFFSET 0 keeps PostgreSQL from inlining it twice)."""
        pg = self.pg
        texts = {
            "external_id": self.text("external_id"),
            "cust": self.text("customer_external_id"),
            "product": self.text("product"),
            "category": self.text("category"),
            "channel": self.text("channel"),
        }
        at, amount = self.cell("ordered_at"), self.cell("amount")
        if pg:
            values = {name: f"CASE WHEN s.ok THEN {sql} END" for name, sql in texts.items()}
            values["ordered_at"] = f"CASE WHEN s.ok THEN {self.utc(at)} END"
            values["amount"] = f"CASE WHEN s.ok THEN {amount}::numeric END"
            source = (
                f"(SELECT s.*, {self.clean()} AS ok FROM {STAGE} s"
                f" WHERE NOT ({self.blank()}) OFFSET 0) s"
            )
        else:  # SQLite: the value expressions cannot fail; computing them for every row is cheap
            values = dict(texts, ordered_at=self.utc(at), amount=amount)
            source = (
                f"(SELECT s.*, {self.clean()} AS ok FROM {STAGE} s WHERE NOT ({self.blank()})) s"
            )
        names = ["external_id", "cust", "ordered_at", "amount", "product", "category", "channel"]
        inner = ", ".join(f"{values[n]} AS {n}" for n in names)
        select = (
            f"SELECT v.row_no, v.ok, k.customer_id, {', '.join(f'v.{n}' for n in names)}"
            f" FROM (SELECT s.row_no, s.ok, {inner} FROM {source}{' OFFSET 0' if pg else ''}) v"
            " LEFT JOIN customers_customerkey k ON k.external_id = v.cust"
        )
        if pg:
            self.execute(f"CREATE TEMP TABLE {ROWS} ON COMMIT DROP AS {select}")
            self.execute(f"ANALYZE {ROWS}")
        else:
            self.execute(
                f"CREATE TEMP TABLE {ROWS} (row_no INTEGER, ok INTEGER, customer_id INTEGER,"
                " external_id TEXT, cust TEXT, ordered_at TEXT, amount NUMERIC, product TEXT,"
                " category TEXT, channel TEXT)"
            )
            self.execute(f"INSERT INTO {ROWS} {select}")

    def fix_rows(self):
        """Rows not of the common shape go through the row path's validators: accepted ones
        are added to ROWS (ok) with their parsed values; the others get the row path's
        errors, in row order."""
        from careloop.imports.services import ImportResult

        pg = self.pg
        stamp = "timestamptz" if pg else "TEXT"
        money = "numeric" if pg else "NUMERIC"
        temp = "ON COMMIT DROP" if pg else ""
        self.execute(
            f"CREATE TEMP TABLE {FIXED} (row_no bigint, external_id text, cust text,"
            f" ordered_at {stamp}, amount {money}, product text, category text, channel text)"
            f" {temp}"
        )
        errors = ImportResult(kind="orders", file="")
        ctx, importer = self.ctx, self.importer
        ctx.result = errors  # parse_row reports here; merged with the SQL errors later
        cols = ", ".join(f"s.{c}" for c in self.cols)
        query = (
            f"SELECT s.row_no, {cols} FROM {ROWS} r JOIN {STAGE} s ON s.row_no = r.row_no"
            " WHERE NOT r.ok ORDER BY s.row_no"
        )
        insert = f"INSERT INTO {FIXED} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        zone = "+00" if pg else ""
        try:
            with connection.chunked_cursor() as reader:
                reader.execute(query)
                while batch := reader.fetchmany(FETCH_ROWS):
                    fixed = []
                    for row_no, *cells in batch:
                        item = importer.parse_row(row_no + 1, cells)
                        if item is not None:
                            _row, cust, (ext, at, amount, *texts) = item
                            fixed.append((row_no, ext, cust, at + zone, amount, *texts))
                    if fixed:
                        with connection.cursor() as writer:
                            writer.executemany(insert, fixed)
        finally:
            ctx.result = self.result
        self.execute(
            f"INSERT INTO {ROWS} (row_no, ok, customer_id, external_id, cust, ordered_at,"
            " amount, product, category, channel) SELECT f.row_no, true, k.customer_id,"
            " f.external_id, f.cust, f.ordered_at, f.amount, f.product, f.category, f.channel"
            f" FROM {FIXED} f LEFT JOIN customers_customerkey k ON k.external_id = f.cust"
        )
        temp = "ON COMMIT DROP" if pg else ""
        self.execute(
            f"CREATE TEMP TABLE {DUPS} {temp} AS SELECT row_no, external_id FROM ("
            "SELECT row_no, external_id, ROW_NUMBER() OVER (PARTITION BY external_id"
            f" ORDER BY row_no) AS n FROM {ROWS} WHERE ok AND external_id IN (SELECT"
            f" external_id FROM {ROWS} WHERE ok GROUP BY external_id HAVING COUNT(*) > 1)) d"
            " WHERE n > 1"
        )
        return errors

    def valid(self, alias: str = "r") -> str:
        return (
            f"{alias}.ok AND {alias}.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
            f" {DUPS} d WHERE d.row_no = {alias}.row_no)"
        )

    def report_errors(self, parse_errors) -> int:
        """Merge the row errors (parse, duplicate, unknown customer) by row; keep the first
        MAX_ERRORS_KEPT, count all. Returns the number of valid rows."""
        from careloop.imports.services import MAX_ERRORS_KEPT, ImportResult

        found = ImportResult(kind="orders", file="")
        labels = self.ctx.label
        cursor = self.cursor
        self.execute(f"SELECT COUNT(*) FROM {DUPS}")
        dup_count = cursor.fetchone()[0]
        self.execute(
            f"SELECT row_no, external_id FROM {DUPS} ORDER BY row_no LIMIT {MAX_ERRORS_KEPT}"
        )
        dups = [
            (row_no + 1, labels("external_id"), key, _("在文件中重复出现(以先出现的行为准)"))
            for row_no, key in cursor.fetchall()
        ]
        unknown_where = (
            f"r.ok AND r.customer_id IS NULL AND NOT EXISTS (SELECT 1 FROM {DUPS} d"
            " WHERE d.row_no = r.row_no)"
        )
        self.execute(f"SELECT COUNT(*) FROM {ROWS} r WHERE {unknown_where}")
        unknown_count = cursor.fetchone()[0]
        self.execute(
            f"SELECT row_no, cust FROM {ROWS} r WHERE {unknown_where} ORDER BY row_no"
            f" LIMIT {MAX_ERRORS_KEPT}"
        )
        label = labels("customer_external_id")
        unknown = [
            (row_no + 1, label, cust, _("找不到该客户编号,请先导入客户"))
            for row_no, cust in cursor.fetchall()
        ]
        for row, column, value, problem in heapq.merge(dups, unknown, key=lambda e: e[0]):
            found.error(row, column, value, problem)
        parse_errors.sort_errors()
        found.sort_errors()
        merged = heapq.merge(parse_errors.errors, found.errors, key=lambda e: e.row)
        result = self.result
        result.errors = list(merged)[:MAX_ERRORS_KEPT]
        result.error_count = parse_errors.error_count + dup_count + unknown_count
        self.execute(f"SELECT COUNT(*) FROM {ROWS} WHERE ok")
        return cursor.fetchone()[0] - dup_count - unknown_count

    def write(self) -> set[int]:
        """One upsert; returns the customers whose orders changed (and former owners)."""
        target = self.importer.target
        cols = ", ".join(target.columns)
        picked = ", ".join(f"r.{c}" for c in target.columns)
        key = target.key
        result = self.result
        if self.pg:
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in target.updated)
            old = ", ".join(f"t.{c}" for c in target.updated)
            new = ", ".join(f"EXCLUDED.{c}" for c in target.updated)
            self.execute(
                f"WITH moved AS (SELECT DISTINCT t.customer_id FROM {target.table} t"
                f" JOIN {ROWS} r ON r.{key} = t.{key} WHERE t.customer_id <> r.customer_id"
                f" AND {self.valid()}), "
                f"up AS (INSERT INTO {target.table} AS t ({cols}) SELECT {picked} FROM {ROWS} r"
                f" WHERE {self.valid()} ON CONFLICT ({key}) DO UPDATE SET {sets}"
                f" WHERE ROW({old}) IS DISTINCT FROM ROW({new})"
                " RETURNING (t.xmax = 0) AS inserted, t.customer_id) "
                "SELECT (SELECT COUNT(*) FROM up WHERE inserted), (SELECT COUNT(*) FROM up),"
                " ARRAY(SELECT DISTINCT customer_id FROM up UNION SELECT customer_id FROM moved)"
            )
            created, written, touched = self.cursor.fetchone()
            touched = set(touched)
        else:
            changed = " OR ".join(f"t.{c} IS NOT r.{c}" for c in target.updated)
            self.execute(
                f"SELECT r.customer_id, t.customer_id, t.id IS NULL FROM {ROWS} r"
                f" LEFT JOIN {target.table} t ON t.{key} = r.{key}"
                f" WHERE {self.valid()} AND (t.id IS NULL OR {changed})"
            )
            touched, created, written = set(), 0, 0
            for customer, former, new in self.cursor.fetchall():
                touched.add(customer)
                if former is not None:
                    touched.add(former)
                created += new
                written += 1
            if written:
                sets = ", ".join(f"{c} = excluded.{c}" for c in target.updated)
                excluded = " OR ".join(f"t.{c} IS NOT excluded.{c}" for c in target.updated)
                self.execute(
                    f"INSERT INTO {target.table} AS t ({cols}) SELECT {picked} FROM {ROWS} r"
                    f" WHERE {self.valid()} ON CONFLICT ({key}) DO UPDATE SET {sets}"
                    f" WHERE {excluded}"
                )
        self.execute(f"SELECT COUNT(*) FROM {ROWS} r WHERE {self.valid()}")
        valid = self.cursor.fetchone()[0]
        result.created += created
        result.updated += written - created
        result.unchanged += valid - written
        return touched


def _temp_tables_on_disk() -> None:
    """The settings keep SQLite temp tables in memory (temp_store=MEMORY); the staging tables
    of a big file would then grow the process with the file. Put them in a temporary file with
    a bounded cache instead. SQLite only allows this before the connection's temp database is
    opened (else it stays as it was) and not back within the transaction: the setting is put
    back after commit."""
    raw = connection.connection
    try:
        raw.execute("PRAGMA temp_store = FILE")
        raw.execute(f"PRAGMA temp.cache_size = -{TEMP_CACHE_KIB}")
    except sqlite3.OperationalError:
        return

    def restore() -> None:
        with contextlib.suppress(sqlite3.Error, AttributeError):
            connection.connection.execute("PRAGMA temp_store = MEMORY")

    transaction.on_commit(restore)


def _is_copy_data_error(exc: BaseException) -> bool:
    """A COPY that failed on the file's content (bad line, bad bytes), not on the server."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return False
    cause = exc if isinstance(exc, psycopg.Error) else exc.__cause__
    return isinstance(cause, psycopg.errors.DataError | psycopg.errors.BadCopyFileFormat)
