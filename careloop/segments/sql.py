"""The few places where SQLite and PostgreSQL need different SQL, one function per engine.

Everything else in the segmentation is standard SQL both engines run as written
(window functions, UPDATE … FROM, CREATE TEMP TABLE … AS SELECT)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    import numpy as np


def _vendor() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


# Whole days from a timestamp column to the end of day D (a parameter). Asia/Shanghai has no
# daylight saving, so every local day is 86,400 s and flooring the seconds counts calendar days:
# an order at 10:00 on D is 0 days ago, one at 23:59 on D−1 is 1 day ago.
def days_before_sqlite(end: str, column: str) -> str:
    seconds = "CAST(strftime('%%s', {}) AS INTEGER)"
    return f"(({seconds.format(end)} - {seconds.format(column)}) / 86400)"


def days_before_postgresql(end: str, column: str) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM ({end} - {column})) / 86400) AS INTEGER)"


def days_before(end: str, column: str) -> str:
    return {"sqlite": days_before_sqlite, "postgresql": days_before_postgresql}[_vendor()](
        end, column
    )


def as_json(text_expr: str) -> str:
    """A JSON array built as text, stored in a JSONField column (jsonb on PostgreSQL)."""
    return f"CAST({text_expr} AS jsonb)" if _vendor() == "postgresql" else text_expr


def create_temp(cursor, name: str, select: str, params: dict | None = None) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMP TABLE {name} AS {select}", params or {})
    if _vendor() == "postgresql":
        cursor.execute(f"ANALYZE {name}")  # temp tables get no autovacuum statistics


def drop_temp(cursor, *names: str) -> None:
    for name in names:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def load_sqlite(cursor, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    marks = ", ".join("?" for _ in columns)
    raw = connection.connection.cursor()
    try:
        raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    finally:
        raw.close()


def load_postgresql(cursor, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(f"ANALYZE {table}")


def load(cursor, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Bulk-load rows into a (temporary) table: executemany on SQLite, COPY on PostgreSQL."""
    {"sqlite": load_sqlite, "postgresql": load_postgresql}[_vendor()](cursor, table, columns, rows)


# Numbers between the database and numpy without a Python object per value: PostgreSQL's binary
# COPY of a fixed-width row (int16 field count, then per field an int32 length and 8 bytes) is
# a numpy structured array, read 4 MiB and written 100,000 rows at a time (no tuple per row).
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags 0, no extension
_CHUNK = 1 << 22  # bytes parsed at a time (memory stays the arrays + 4 MiB)


def _row_dtype(kinds: Sequence[str]):
    import numpy as np

    fields = [("n", ">i2")]
    for i, kind in enumerate(kinds):
        fields += [(f"l{i}", ">i4"), (f"v{i}", ">i8" if kind == "i" else ">f8")]
    return np.dtype(fields)


def fetch_floats(cursor, select: str, columns: int, params: dict | None = None) -> np.ndarray:
    """The rows of `select` (numbers; NULL → NaN) as a float64 array, rows × columns."""
    import numpy as np

    if _vendor() == "sqlite":
        cursor.execute(select, params or {})
        chunks = [np.empty((0, columns))]
        while rows := cursor.fetchmany(50000):
            chunks.append(np.array(rows, dtype=float))
        return np.concatenate(chunks)
    dtype = _row_dtype("f" * columns)
    casts = ", ".join(f"COALESCE(CAST(c{i} AS DOUBLE PRECISION), 'NaN')" for i in range(columns))
    names = ", ".join(f"c{i}" for i in range(columns))
    query = cursor.db.ops.compose_sql(select, params or {}) if params else select
    chunks, pending = [np.empty((0, columns))], bytearray()
    copy_sql = f"COPY (SELECT {casts} FROM ({query}) q ({names})) TO STDOUT (FORMAT BINARY)"
    with cursor.cursor.copy(copy_sql) as copy:
        for block in copy:
            pending += block  # a bytearray grows in place (bytes += would copy it each time)
            if len(pending) >= _CHUNK:
                pending = _parse_rows(pending, dtype, columns, chunks)
    _parse_rows(pending, dtype, columns, chunks)
    return np.concatenate(chunks)


def _parse_rows(data: bytearray, dtype, columns: int, chunks: list) -> bytearray:
    """Parse the whole rows in `data` into `chunks`; return the bytes left over."""
    import numpy as np

    start = len(_COPY_HEADER) if data.startswith(_COPY_HEADER) else 0
    end = start + (len(data) - start) // dtype.itemsize * dtype.itemsize
    rows = np.frombuffer(data, dtype=dtype, count=(end - start) // dtype.itemsize, offset=start)
    if len(rows) and not (
        np.all(rows["n"] == columns) and all(np.all(rows[f"l{i}"] == 8) for i in range(columns))
    ):
        raise ValueError("fetch_floats: a NULL or a row of another shape")
    chunks.append(np.column_stack([rows[f"v{i}"].astype(float) for i in range(columns)]))
    rest = data[end:]
    return bytearray() if rest == b"\xff\xff" else rest  # the trailer (-1) ends the data


def load_numbers(cursor, table: str, columns: Sequence[str], arrays: Sequence[np.ndarray]) -> None:
    """Bulk-load numpy columns (int64 → bigint, float64 → double precision; NaN → NULL)."""
    import numpy as np

    if _vendor() == "sqlite":
        lists = [a.tolist() for a in arrays]
        rows = (tuple(None if v != v else v for v in row) for row in zip(*lists, strict=True))
        load_sqlite(cursor, table, columns, rows)
        return
    kinds = ["i" if a.dtype.kind == "i" else "f" for a in arrays]
    dtype = _row_dtype(kinds)
    n = len(arrays[0])
    with cursor.cursor.copy(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.write(_COPY_HEADER)
        for lo in range(0, n, 100_000):
            rows = np.empty(min(n - lo, 100_000), dtype=dtype)
            rows["n"] = len(columns)
            for i, a in enumerate(arrays):
                rows[f"l{i}"], rows[f"v{i}"] = 8, a[lo : lo + 100_000]
            copy.write(rows.tobytes())
        copy.write(b"\xff\xff")
    floats = [c for c, k in zip(columns, kinds, strict=True) if k == "f"]
    if floats:  # NaN (the model could not score the customer) is stored as NULL
        sets = ", ".join(f"{c} = NULLIF({c}, 'NaN')" for c in floats)
        where = " OR ".join(f"{c} = 'NaN'" for c in floats)
        cursor.execute(f"UPDATE {table} SET {sets} WHERE {where}")
    cursor.execute(f"ANALYZE {table}")


def orders_by_customer() -> str:
    """The orders table read through the covering index (customer, ordered_at, amount).

    SQLite's planner prefers the index on ordered_at for a date range and then reads every
    row from the table (1.8 s for a year of 1,000,000 orders); the covering index in customer
    order needs no table reads and no sort for GROUP BY customer_id (0.3 s). PostgreSQL
    chooses well by itself."""
    if _vendor() == "sqlite":
        return "customers_order INDEXED BY order_customer_time"
    return "customers_order"


def changed(pairs: list[tuple[str, str]]) -> str:
    """True when any (old, new) pair differs, NULLs included: unchanged rows are not written
    (every written customer row costs an entry in each of the table's indexes)."""
    if _vendor() == "postgresql":
        old = ", ".join(a for a, _ in pairs)
        new = ", ".join(b for _, b in pairs)
        return f"ROW({old}) IS DISTINCT FROM ROW({new})"
    return "(" + " OR ".join(f"{a} IS NOT {b}" for a, b in pairs) + ")"


@contextmanager
def temp_on_disk(cursor) -> Iterator[None]:
    """SQLite: keep this run's temporary tables in a temporary file, not in memory (the
    connection is set to temp_store=MEMORY), so memory does not grow with the customers."""
    if _vendor() != "sqlite" or connection.in_atomic_block:  # SQLite allows it only outside
        yield
        return
    cursor.execute("PRAGMA temp_store")
    before = cursor.fetchone()[0]
    cursor.execute("PRAGMA temp_store = FILE")  # drops existing temp tables: none of ours
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA temp_store = {int(before)}")


WORK_MEM_MB = 256  # PostgreSQL, per sort or hash of a segment run


@contextmanager
def tuned(cursor, *, work_mem_mb: int = WORK_MEM_MB) -> Iterator[None]:
    """PostgreSQL: this run's sorts and hashes (RANK() over every customer, the joins of the
    temporary tables, the UPDATE … FROM) in memory rather than spilled to disk in batches
    (default work_mem: 4 MB), and no JIT. The server's memory, bounded per sort or hash, not
    the process's; the settings come back after the run."""
    if _vendor() != "postgresql":
        yield
        return
    names = ("work_mem", "maintenance_work_mem", "jit")
    cursor.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in names))
    before = cursor.fetchone()
    cursor.execute(f"SET work_mem = '{int(work_mem_mb)}MB'")
    cursor.execute(f"SET maintenance_work_mem = '{int(work_mem_mb)}MB'")  # CREATE INDEX
    # JIT compiles each big statement again in every run (1.1 s for the scores, 1.4 s for the
    # result at 1M customers, with inlining and optimisation) and gains less than that here.
    cursor.execute("SET jit = off")
    try:
        yield
    finally:
        sets = ", ".join(f"set_config('{n}', %s, false)" for n in names)
        cursor.execute(f"SELECT {sets}", list(before))


def refresh_statistics(cursor, tables: Sequence[str], *, vacuum: Sequence[str] = ()) -> list[str]:
    """PostgreSQL: ANALYZE a table never analyzed or changed by more than a fifth since, and
    VACUUM one of `vacuum` whose pages are mostly not all-visible (right after a bulk import,
    before autovacuum came by): the plans need the row counts, and an index-only scan of the
    orders' covering index reads the table for every row of a page not marked all-visible.
    Outside a transaction only (VACUUM cannot run in one). Returns what was done, e.g.
    ['vacuum customers_order']."""
    if _vendor() != "postgresql" or connection.in_atomic_block:
        return []
    done = []
    for table in (*tables, *vacuum):
        cursor.execute(
            "SELECT pg_relation_size(c.oid) / current_setting('block_size')::int,"
            " c.relallvisible, c.reltuples, s.n_mod_since_analyze,"
            " s.n_live_tup, GREATEST(s.last_analyze, s.last_autoanalyze) IS NULL"
            " FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid"
            " WHERE c.oid = %s::regclass",
            [table],
        )
        row = cursor.fetchone()
        if row is None:
            continue
        pages, visible, tuples, modified, live, never = row
        if table in vacuum and pages >= 1000 and visible < pages / 2:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
            done.append(f"vacuum {table}")
        elif live >= 1000 and (never or tuples < 0 or modified > max(tuples, live) / 5):
            cursor.execute(f"ANALYZE {table}")
            done.append(f"analyze {table}")
    return done


@contextmanager
def indexes_dropped(cursor, names: Sequence[str], *, when: bool = True) -> Iterator[None]:
    """PostgreSQL, inside a transaction: drop the named indexes for the block and create them
    again, as they were, after it (a failure rolls the drop back with the rest). On SQLite an
    UPDATE rewrites only the entries of the indexes whose columns changed: nothing to do."""
    if not when or _vendor() != "postgresql":
        yield
        return
    assert connection.in_atomic_block, "indexes_dropped needs a transaction"
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)"
        " AND schemaname = current_schema()",
        [list(names)],
    )
    found = cursor.fetchall()
    # The table's DDL waits for no deferred foreign-key check of rows this transaction wrote
    # (a caller's own transaction; the CLI and the jobs have none): check them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _, definition in found:
        cursor.execute(definition)
