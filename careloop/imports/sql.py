"""The engine-specific SQL of the bulk import, one function per engine.

PostgreSQL: COPY (CSV) into a TEMP staging table, then one set-based
INSERT … SELECT … ON CONFLICT (key) DO UPDATE … WHERE … IS DISTINCT FROM ….
SQLite: executemany of INSERT … ON CONFLICT (key) DO UPDATE … WHERE … IS NOT … (in-process, no
round trips, so staging would only add a copy).

Both return the number of rows inserted or changed; unchanged rows are not written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Target:
    table: str
    key: str  # the conflict column (unique)
    columns: tuple[str, ...]  # every written column, `key` included, in row order
    updated: tuple[str, ...]  # columns an existing row takes from the file (those it has)
    text_columns: tuple[str, ...] = ()  # NOT NULL text: '' must stay '' (not NULL) in COPY


@dataclass(frozen=True)
class Upserted:
    created: int
    updated: int
    moved_from: set[int]  # former customers of rows that now belong to another customer


def upsert(target: Target, rows: Sequence[tuple]) -> Upserted:
    """Insert new rows and update changed ones (rows start with customer_id); unchanged rows
    are not written."""
    if not rows:
        return Upserted(0, 0, set())
    if connection.vendor == "postgresql":
        return upsert_postgresql(target, rows)
    return upsert_sqlite(target, rows)


def upsert_postgresql(target: Target, rows: Sequence[tuple]) -> Upserted:
    cols = ", ".join(target.columns)
    stage = f"careloop_stage_{target.table}"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    force = f", FORCE_NOT_NULL ({', '.join(target.text_columns)})" if target.text_columns else ""
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in target.updated)
    old = ", ".join(f"t.{c}" for c in target.updated)
    new = ", ".join(f"EXCLUDED.{c}" for c in target.updated)
    key = target.key
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "
            f"SELECT {cols} FROM {target.table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
        with cursor.cursor.copy(f"COPY {stage} ({cols}) FROM STDIN (FORMAT csv{force})") as copy:
            copy.write(buf.getvalue())
        # One statement: the CTEs share a snapshot, so `moved` sees the rows before the upsert;
        # xmax = 0 tells an inserted row from an updated one.
        cursor.execute(
            f"WITH moved AS (SELECT DISTINCT t.customer_id FROM {target.table} t "
            f"JOIN {stage} s ON s.{key} = t.{key} WHERE t.customer_id <> s.customer_id), "
            f"up AS (INSERT INTO {target.table} AS t ({cols}) SELECT {cols} FROM {stage} "
            f"ON CONFLICT ({key}) DO UPDATE SET {sets} "
            f"WHERE ROW({old}) IS DISTINCT FROM ROW({new}) RETURNING (t.xmax = 0) AS inserted) "
            "SELECT (SELECT COUNT(*) FROM up WHERE inserted), (SELECT COUNT(*) FROM up), "
            "ARRAY(SELECT customer_id FROM moved)"
        )
        created, written, moved = cursor.fetchone()
    return Upserted(created, written - created, set(moved))


def upsert_sqlite(target: Target, rows: Sequence[tuple]) -> Upserted:
    cols = ", ".join(target.columns)
    marks = ", ".join("?" for _ in target.columns)
    sets = ", ".join(f"{c} = excluded.{c}" for c in target.updated)
    changed_sql = " OR ".join(f"t.{c} IS NOT excluded.{c}" for c in target.updated)
    key_at = target.columns.index(target.key)
    existing = lookup(target.table, target.key, "customer_id", [r[key_at] for r in rows])
    raw = connection.connection.cursor()
    try:
        raw.executemany(
            f"INSERT INTO {target.table} AS t ({cols}) VALUES ({marks}) "
            f"ON CONFLICT ({target.key}) DO UPDATE SET {sets} WHERE {changed_sql}",
            rows,
        )
        written = raw.rowcount
    finally:
        raw.close()
    created = len(rows) - len(existing)
    moved = set()
    if existing and written > created:
        moved = {existing[r[key_at]] for r in rows if existing.get(r[key_at], r[0]) != r[0]}
    return Upserted(created, written - created, moved)


def changed(*pairs: tuple[str, str]) -> str:
    """A condition true when any (old, new) pair differs, NULLs included: a row that would not
    change is not written (with ~30 indexes on customers, each avoided write counts)."""
    if connection.vendor == "postgresql":
        old = ", ".join(a for a, _ in pairs)
        new = ", ".join(b for _, b in pairs)
        return f"ROW({old}) IS DISTINCT FROM ROW({new})"
    return "(" + " OR ".join(f"{a} IS NOT {b}" for a, b in pairs) + ")"


BULK_ROWS = 100_000


@contextmanager
def secondary_indexes_deferred(table: str, *, expected_rows: int) -> Iterator[None]:
    """For a big load (at least BULK_ROWS and more rows than the table holds), build the
    table's non-unique indexes once at the end instead of row by row; unique ones stay, they
    are the conflict targets. SQLite only: its DDL is transactional and invisible to readers
    until commit. On PostgreSQL DROP INDEX would lock readers out for the whole import."""
    if connection.vendor != "sqlite" or expected_rows < BULK_ROWS:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}")
        if cursor.fetchone()[0] >= expected_rows:
            indexes = []
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
            indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)


def in_list(column: str, values: Iterable) -> tuple[str, list]:
    """`column IN (values)` with one parameter, whatever the number of values."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]


def lookup(table: str, key: str, value: str, keys: Iterable) -> dict:
    """{key: value} for the rows of `table` whose `key` is among `keys`, in one query."""
    keys = list(keys)
    if not keys:
        return {}
    where, params = in_list(key, keys)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, {value} FROM {table} WHERE {where}", params)
        return dict(cursor.fetchall())


def refresh_order_summary(customer_ids: Iterable[int], batch: int = 20000) -> int:
    """First/last order, count and spend of these customers, set-based: one
    UPDATE … FROM (SELECT … GROUP BY customer_id) per batch (PostgreSQL and SQLite 3.33+)."""
    ids = sorted(set(customer_ids))
    done = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), batch):
            part = ids[start : start + batch]
            where, params = in_list("customer_id", part)
            cursor.execute(
                "UPDATE customers_customer AS c SET first_order_at = a.first_at, "
                "last_order_at = a.last_at, order_count = a.n, lifetime_spend = a.total "
                "FROM (SELECT customer_id, MIN(ordered_at) AS first_at, MAX(ordered_at) AS last_at,"
                " COUNT(*) AS n, SUM(amount) AS total FROM customers_order "
                f"WHERE {where} GROUP BY customer_id) AS a WHERE c.id = a.customer_id AND "
                + changed(
                    ("c.first_order_at", "a.first_at"),
                    ("c.last_order_at", "a.last_at"),
                    ("c.order_count", "a.n"),
                    ("c.lifetime_spend", "a.total"),
                ),
                params,
            )
            done += cursor.rowcount
            where, params = in_list("c.id", part)
            cursor.execute(
                "UPDATE customers_customer AS c SET first_order_at = NULL, last_order_at = NULL, "
                f"order_count = 0, lifetime_spend = 0 WHERE {where} AND order_count <> 0 AND "
                "NOT EXISTS (SELECT 1 FROM customers_order o WHERE o.customer_id = c.id)",
                params,
            )
    return done
