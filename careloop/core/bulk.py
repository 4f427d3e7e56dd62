"""Bulk inserts of plain tuples, without building model instances (the care plan's pages).

PostgreSQL, a big batch (`COPY_FROM` rows or more): binary `COPY` into a temporary staging
table, then ONE `INSERT … SELECT` from it (psycopg formats COPY rows in C; binding one array per
column, the way small batches go, costs twice as much in Python for a page of 2,000 rows).
PostgreSQL, a small batch: `INSERT … SELECT * FROM unnest(one array per column)` with the arrays
sent as binary parameters (one round trip; Django's client-side cursor would render each array as
quoted text in Python, which cost more than the insert itself).
SQLite: executemany of the one-row statement (in-process, microseconds a row).
The INSERT goes through Django's cursor wrapper, so it is logged and counted like any other.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

from django.db import connection, transaction

COPY_FROM = 200  # rows: below this, one unnest statement is cheaper than COPY's round trips


def insert_rows(
    model,
    columns: Sequence[str],
    rows: list[tuple],
    *,
    ignore_conflicts: bool = False,
    returning: str = "",
) -> list | None:
    """Insert `rows` (tuples in the order of `columns`, attnames of `model`'s fields).
    `ignore_conflicts`: ON CONFLICT DO NOTHING. `returning` (PostgreSQL only): a column whose
    values come back, in the order of the rows."""
    if not rows:
        return [] if returning else None
    meta = model._meta
    quote = connection.ops.quote_name
    names = ", ".join(quote(meta.get_field(c).column) for c in columns)
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if connection.vendor != "postgresql":
        if returning:
            raise ValueError("insert_rows(returning=…) is PostgreSQL only")
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks}){tail}", rows
            )
        return None
    import psycopg

    types = [meta.get_field(c).db_type(connection) for c in columns]
    if returning:
        # Ids come from the sequence in the order the rows are read, which is their order.
        tail += f" RETURNING {quote(meta.get_field(returning).column)}"
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    cursor = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    table = quote(meta.db_table)
    with cursor:
        if len(rows) >= COPY_FROM:
            # One transaction for the staging rows and the INSERT (the caller's, if any).
            with transaction.atomic(savepoint=False):
                stage = _stage(raw, meta, columns, types)
                with raw.copy(f"COPY {stage} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types([_copy_type(t) for t in types])
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(f"INSERT INTO {table} ({names}) SELECT * FROM {stage}{tail}")
                found = [row[0] for row in cursor.fetchall()] if returning else None
                raw.execute(f"TRUNCATE {stage}")
                return found
        arrays = ", ".join(f"%b::{t}[]" for t in types)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){tail}",
            [list(column) for column in zip(*rows, strict=True)],
        )
        return [row[0] for row in cursor.fetchall()] if returning else None


def _stage(raw, meta, columns: Sequence[str], types: list[str]) -> str:
    """A temporary staging table with these columns, kept for the session (its rows go after
    each batch and at commit). CREATE … IF NOT EXISTS every time: a rolled-back transaction
    (a dry run) takes the table it created with it."""
    stage = f"careloop_stage_{meta.db_table}_{zlib.crc32(','.join(columns).encode()):08x}"
    definition = ", ".join(
        f'"{meta.get_field(c).column}" {t}' for c, t in zip(columns, types, strict=True)
    )
    raw.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ({definition}) ON COMMIT DELETE ROWS"
    )
    return stage


def _copy_type(db_type: str) -> str:
    """psycopg's name of a column type for binary COPY: varchar(32) → varchar, timestamp with
    time zone → timestamptz."""
    base = re.sub(r"\(.*\)", "", db_type).strip()
    return {"timestamp with time zone": "timestamptz", "double precision": "float8"}.get(base, base)
