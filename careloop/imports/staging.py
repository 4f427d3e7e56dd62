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

CLEAN = True  # try the one-pass path for a clean file first (tests turn it off to cover both)
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
    if connection.vendor == "sqlite":
        _temp_tables_on_disk()  # once, outside the savepoints (their rollback drops on_commit)
    try:
        if not CLEAN:
            raise _Fallback
        with transaction.atomic():
            _Clean(importer, path, table, result, width, skip, offset, progress).run()
        return True
    except _Fallback:
        pass  # not a clean file: the savepoint is rolled back, the general staging path runs
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


# ---- the clean file: one pass ----------------------------------------------------------------
#
# Most files are exports in which every line has the common well-formed shape. A regex over each
# line (in C, no per-row Python) proves that shape — the SQL shape test's rules, the calendar
# included — so the rows go straight to the upsert: no valid-rows table, nothing read back. The
# database then proves the rest: an unknown customer leaves customer_id NULL (NOT NULL fails), a
# repeated order number fails a unique key. Any such failure rolls the savepoint back and the
# general staging path above runs, which names every problem as before.

# Years from FIRST_FIXED_YEAR (1992); leap years among them; month-day pairs that exist.
_YEAR = r"(?:199[2-9]|[2-9][0-9]{3})"
_LEAP_YEAR = r"(?:199[26]|[2-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)"
_MONTH_DAY = (
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
)
CLEAN_DATE = (
    rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
    r"(?: (?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?)?"
)
CLEAN_MONEY = r"-?[0-9]{1,12}(?:\.[0-9]{1,2})?"
# A cell that CSV reads as it is written: no quote, separator, line break or NUL.
_PLAIN = r'[^,"\r\n\x00]'
_EDGE = r'[^\s,"\x00]'  # \s is str.isspace(): a clean text cell needs no strip()
CLEAN_BLOCK_BYTES = 1 << 20
CLEAN_SEEN = "careloop_clean_seen"
CLEAN_TOUCHED = "careloop_clean_touched"
CLEAN_KEYS = "careloop_clean_keys"
CLEAN_STAGE = "careloop_clean"


def _clean_text(limit: int, *, required: bool) -> str:
    text = rf"{_EDGE}(?:{_PLAIN}{{0,{limit - 2}}}{_EDGE})?"
    return text if required else f"(?:{text})?"


def clean_line(index: dict[str, int], width: int, *, capture: bool) -> str:
    """The regex of one data line of the common shape (without its line break): the mapped
    columns as the shape test wants them, any other column plain. With `capture`, each mapped
    column is a group, in file order."""
    fields = {
        "external_id": _clean_text(TEXT_LIMITS["external_id"], required=True),
        "customer_external_id": _clean_text(TEXT_LIMITS["customer_external_id"], required=True),
        "ordered_at": CLEAN_DATE,
        "amount": CLEAN_MONEY,
        **{name: _clean_text(limit, required=False) for name, limit in OPTIONAL_TEXT},
    }
    by_column = {i: name for name, i in index.items() if name in fields}
    cells = []
    for i in range(width):
        name = by_column.get(i)
        if name is None:
            cells.append(f"{_PLAIN}*")
        else:
            cells.append(f"({fields[name]})" if capture else fields[name])
    return ",".join(cells)


class _Clean:
    """The one-pass import of a clean file; raises _Fallback when the file is not one."""

    def __init__(self, importer, path, table, result, width, skip, offset, progress):
        self.importer, self.ctx = importer, importer.ctx
        self.path, self.table, self.result = path, table, result
        self.width, self.skip, self.offset, self.progress = width, skip, offset, progress
        self.codec = "gb18030" if table.encoding == "gb18030" else "utf-8"
        self.target = importer.target
        self.rows = 0

    def run(self) -> None:
        result, seconds = self.result, {}
        if self.progress:
            self.progress(0, self.table.total_estimate)
        with connection.cursor() as cursor:
            self.cursor = cursor
            if connection.vendor == "postgresql":
                created, written, touched = self.postgresql(seconds)
            else:
                created, written, touched = self.sqlite(seconds)
            began = time.perf_counter()
            if touched:
                from careloop.imports.sql import refresh_order_summary

                refresh_order_summary(touched)
            seconds["summary"] = round(time.perf_counter() - began, 3)
        result.total = self.rows
        result.created += created
        result.updated += written - created
        result.unchanged += self.rows - written
        result.seconds.update(seconds)
        result.method = "clean"
        if self.progress:
            self.progress(self.rows, max(self.rows, self.table.total_estimate))

    def blocks(self):
        """The data rows' text in blocks of whole lines (the bytes too, for COPY)."""
        decoder = codecs.getincrementaldecoder(self.codec)()
        total = self.table.total_estimate
        with open(self.path, "rb") as fh:
            fh.seek(self.skip)
            while data := fh.read(CLEAN_BLOCK_BYTES):
                yield data, decoder.decode(data)
                if self.progress:
                    self.progress(self.rows, max(self.rows, total))
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _Fallback from exc
        if tail:
            yield b"", tail

    def columns(self) -> dict[str, int]:
        """Field -> its group number in the line regex (1-based)."""
        index = self.ctx.mapping.index
        mapped = sorted((i, name) for name, i in index.items() if name in self.target_fields())
        return {name: n for n, (_i, name) in enumerate(mapped, start=1)}

    def target_fields(self) -> set[str]:
        return {"external_id", "customer_external_id", "ordered_at", "amount"} | {
            name for name, _limit in OPTIONAL_TEXT
        }

    # ---- SQLite: the parsed lines go straight into the upsert --------------------------------

    def sqlite(self, seconds: dict) -> tuple[int, int, set[int]]:
        import re
        from operator import methodcaller

        from careloop.imports import sql
        from careloop.imports.sql import secondary_indexes_deferred

        began = time.perf_counter()
        pattern = clean_line(self.ctx.mapping.index, self.width, capture=True)
        line = re.compile(pattern + r"\r?").fullmatch  # the lines are split at "\n"
        groups = methodcaller("groups")

        def rows():
            pending = ""
            for _data, text in self.blocks():
                lines = (pending + text).split("\n")
                pending = lines.pop()
                self.rows += len(lines)
                yield from map(groups, map(line, lines))
            if pending:
                self.rows += 1
                yield from map(groups, map(line, [pending]))

        cursor, target = self.cursor, self.target
        # Every proposed row passes this trigger, also one the upsert leaves unchanged: a
        # repeated order number fails the temporary table's primary key.
        cursor.execute(f"CREATE TEMP TABLE {CLEAN_SEEN} (k TEXT PRIMARY KEY) WITHOUT ROWID")
        cursor.execute(
            f"CREATE TEMP TRIGGER {CLEAN_SEEN} BEFORE INSERT ON {target.table}"
            f" BEGIN INSERT INTO {CLEAN_SEEN} VALUES (NEW.{target.key}); END"
        )
        # An updated order's customer, and its former one, get their summary refreshed.
        cursor.execute(f"CREATE TEMP TABLE {CLEAN_TOUCHED} (customer_id INTEGER PRIMARY KEY)")
        cursor.execute(
            f"CREATE TEMP TRIGGER {CLEAN_TOUCHED} AFTER UPDATE ON {target.table} BEGIN"
            f" INSERT OR IGNORE INTO {CLEAN_TOUCHED} VALUES (OLD.customer_id), (NEW.customer_id);"
            " END"
        )
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {target.table}")
        last_id = cursor.fetchone()[0]
        keys = "customers_customerkey"
        if self.table.total_estimate >= sql.BULK_ROWS:
            # One B-tree search a row instead of two (unique index, then the row): 300k rows,
            # 5.3 -> 4.6 s for the pass; copying 100k keys takes ~0.1 s.
            keys = f"temp.{CLEAN_KEYS}"
            cursor.execute(
                f"CREATE TEMP TABLE {CLEAN_KEYS} (external_id TEXT PRIMARY KEY,"
                " customer_id INTEGER NOT NULL) WITHOUT ROWID"
            )
            cursor.execute(
                f"INSERT INTO {CLEAN_KEYS} SELECT external_id, customer_id"
                " FROM customers_customerkey ORDER BY external_id"
            )
        group = self.columns()
        values = {
            "customer_id": f"(SELECT customer_id FROM {keys}"
            f" WHERE external_id = ?{group['customer_external_id']})",
            "external_id": f"?{group['external_id']}",
            "ordered_at": f"datetime(?{group['ordered_at']}, '{-self.offset:+d} minutes')",
            "amount": f"?{group['amount']}",
        }
        for name, _limit in OPTIONAL_TEXT:
            values[name] = f"?{group[name]}" if name in group else "''"
        cols = ", ".join(target.columns)
        sets = ", ".join(f"{c} = excluded.{c}" for c in target.updated)
        changed = " OR ".join(f"t.{c} IS NOT excluded.{c}" for c in target.updated)
        statement = (
            f"INSERT INTO {target.table} AS t ({cols})"
            f" VALUES ({', '.join(values[c] for c in target.columns)})"
            f" ON CONFLICT ({target.key}) DO UPDATE SET {sets} WHERE {changed}"
        )
        raw = connection.connection.cursor()
        try:
            with secondary_indexes_deferred(target.table, expected_rows=self.table.total_estimate):
                try:
                    raw.executemany(statement, rows())
                except (AttributeError, sqlite3.IntegrityError, UnicodeDecodeError) as exc:
                    # AttributeError: a line the regex did not match (None has no groups).
                    raise _Fallback from exc
                written = raw.rowcount
                seconds["write"] = round(time.perf_counter() - began, 3)
                began = time.perf_counter()
        finally:
            raw.close()
        seconds["indexes"] = round(time.perf_counter() - began, 3)
        cursor.execute(f"SELECT COUNT(*) FROM {target.table} WHERE id > %s", [last_id])
        created = cursor.fetchone()[0]
        touched: set[int] = set()
        if written:
            cursor.execute(
                f"SELECT DISTINCT customer_id FROM {target.table} WHERE id > %s"
                f" UNION SELECT customer_id FROM {CLEAN_TOUCHED}",
                [last_id],
            )
            touched = {customer for (customer,) in cursor.fetchall()}
        for name in (CLEAN_SEEN, CLEAN_TOUCHED):
            cursor.execute(f"DROP TRIGGER temp.{name}")
            cursor.execute(f"DROP TABLE temp.{name}")
        cursor.execute(f"DROP TABLE IF EXISTS temp.{CLEAN_KEYS}")
        return created, written, touched

    # ---- PostgreSQL: COPY while the lines are checked, then one upsert ------------------------

    def postgresql(self, seconds: dict) -> tuple[int, int, set[int]]:
        import re

        import psycopg

        began = time.perf_counter()
        line = clean_line(self.ctx.mapping.index, self.width, capture=False)
        lines = re.compile(rf"(?:{line}\r?\n)*+").fullmatch
        last = re.compile(rf"(?:{line})?").fullmatch
        cursor, target = self.cursor, self.target
        cols = [f"c{i}" for i in range(self.width)]
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{CLEAN_STAGE}")
        cursor.execute(
            f"CREATE TEMP TABLE {CLEAN_STAGE} ({', '.join(f'{c} text' for c in cols)})"
            " ON COMMIT DROP"
        )
        encoding = "GB18030" if self.codec == "gb18030" else "UTF8"
        copy_sql = (
            f"COPY {CLEAN_STAGE} FROM STDIN (FORMAT csv, ENCODING '{encoding}',"
            f" FORCE_NOT_NULL ({', '.join(cols)}))"
        )
        try:
            with cursor.cursor.copy(copy_sql) as copy:
                pending = ""
                for data, text in self.blocks():
                    text = pending + text
                    cut = text.rfind("\n") + 1
                    pending = text[cut:]
                    if not lines(text, 0, cut):
                        raise _Fallback
                    self.rows += text.count("\n", 0, cut)
                    copy.write(data)
                if pending:
                    if not last(pending):
                        raise _Fallback
                    self.rows += 1
        except (
            UnicodeDecodeError,
            psycopg.errors.DataError,
            psycopg.errors.BadCopyFileFormat,
        ) as exc:
            raise _Fallback from exc
        seconds["stage"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        index = self.ctx.mapping.index
        cell = {name: f"s.c{i}" for name, i in index.items() if name in self.target_fields()}
        values = {
            "customer_id": "k.customer_id",
            "external_id": cell["external_id"],
            "ordered_at": f"({cell['ordered_at']}::timestamp AT TIME ZONE %(tz)s)",
            "amount": f"{cell['amount']}::numeric",
        }
        for name, _limit in OPTIONAL_TEXT:
            values[name] = cell.get(name, "''")
        key = target.key
        ext, cust = cell["external_id"], cell["customer_external_id"]
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in target.updated)
        old = ", ".join(f"t.{c}" for c in target.updated)
        new = ", ".join(f"EXCLUDED.{c}" for c in target.updated)
        # One statement (the CTEs share a snapshot: `moved` sees the orders before the upsert).
        # An unknown customer fails NOT NULL; an order number twice in the file fails with
        # "ON CONFLICT DO UPDATE command cannot affect row a second time" — unless both rows
        # meet an existing order and leave it unchanged: the GROUP BY below finds those.
        try:
            cursor.execute(
                f"WITH moved AS (SELECT DISTINCT t.customer_id FROM {target.table} t"
                f" JOIN {CLEAN_STAGE} s ON {ext} = t.{key}"
                f" JOIN customers_customerkey k ON k.external_id = {cust}"
                " WHERE t.customer_id <> k.customer_id), "
                f"up AS (INSERT INTO {target.table} AS t ({', '.join(target.columns)})"
                f" SELECT {', '.join(values[c] for c in target.columns)} FROM {CLEAN_STAGE} s"
                f" LEFT JOIN customers_customerkey k ON k.external_id = {cust}"
                f" ON CONFLICT ({key}) DO UPDATE SET {sets}"
                f" WHERE ROW({old}) IS DISTINCT FROM ROW({new})"
                " RETURNING (t.xmax = 0) AS inserted, t.customer_id) "
                "SELECT (SELECT COUNT(*) FROM up WHERE inserted), (SELECT COUNT(*) FROM up),"
                " ARRAY(SELECT DISTINCT customer_id FROM up UNION SELECT customer_id FROM moved)",
                {"tz": settings.TIME_ZONE},
            )
        except DatabaseError as exc:
            refused = (psycopg.errors.NotNullViolation, psycopg.errors.CardinalityViolation)
            if isinstance(exc.__cause__, refused):
                raise _Fallback from exc
            raise
        created, written, touched = cursor.fetchone()
        seconds["write"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        if created < self.rows:  # some rows met existing orders: were any of them repeated?
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {CLEAN_STAGE} s GROUP BY {ext} HAVING COUNT(*) > 1)"
            )
            if cursor.fetchone()[0]:
                raise _Fallback
        seconds["validate"] = round(time.perf_counter() - began, 3)
        cursor.execute(f"DROP TABLE pg_temp.{CLEAN_STAGE}")
        return created, written, set(touched)


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
