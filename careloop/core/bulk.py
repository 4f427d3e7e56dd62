"""Bulk inserts of plain tuples, without building model instances (the care plan's pages).

PostgreSQL: ONE statement, `INSERT … SELECT * FROM unnest(one array per column)`, with the
arrays sent as binary parameters (a server-binding psycopg cursor: Django's client-side cursor
renders each array as quoted text in Python, which cost more than the insert itself).
SQLite: executemany of the one-row statement (in-process, microseconds a row).
The statement goes through Django's cursor wrapper, so it is logged and counted like any other.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


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

    arrays = ", ".join(f"%b::{meta.get_field(c).db_type(connection)}[]" for c in columns)
    if returning:
        tail += f" RETURNING {quote(meta.get_field(returning).column)}"
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    cursor = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    with cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({names}) SELECT * FROM unnest({arrays}){tail}",
            [list(column) for column in zip(*rows, strict=True)],
        )
        return [row[0] for row in cursor.fetchall()] if returning else None
