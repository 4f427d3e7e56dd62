"""Benchmark: `careloop segment` on SQLite and PostgreSQL next to the same SQL in DuckDB.

    python bench/segment.py                     # sizes 10k and 100k (customers; 10 orders each)
    python bench/segment.py --sizes 100k,1m --engines postgresql --seed 7
    python bench/segment.py --sizes 1m --keep /var/tmp/seg   # keep the loaded databases …
    python bench/segment.py --sizes 1m --keep /var/tmp/seg   # … and reuse them (no reload)

Sizes: 10k = 10,000 customers / 100,000 orders, 100k = 100,000 / 1,000,000,
1m = 1,000,000 / 10,000,000. For each size, in one run:

1. numpy generates seeded customers (10 % never ordered) and orders over three years before D
   (customers' activity ends at different times, so every lifecycle stage occurs; order counts
   and amounts are skewed), with each customer's order summary (first/last order, count, spend)
   as every order write keeps it.
2. Per engine a fresh, migrated database (not timed) is loaded in bulk (sqlite3 executemany;
   PostgreSQL COPY, then VACUUM ANALYZE as autovacuum would).
3. **careloop**, timed: `segment_customers(as_of=D)` — the service behind `careloop segment
   --as-of D` — in a fresh process (Django start-up not timed); its peak RSS is that process's
   VmHWM (Python, Django, numpy and scipy included: about 100 MiB before any work).
4. **DuckDB**, timed: the same computation (windowed aggregates, R/F/M with NTILE(5) and the
   tie rule, spend rank tiers, lifecycle, value class) over the same rows in an in-memory
   DuckDB database (tables created from the generated arrays, not timed), written to a table.
   DuckDB is the floor: a columnar engine doing the minimum (no churn model, no health, no
   write-back into an indexed table, no snapshot).
5. The counts per lifecycle stage and tier must match between careloop and DuckDB.
6. **Next night**, timed: careloop again as of D+1 on the same database (PostgreSQL vacuumed
   first, as autovacuum would), the steady state of the nightly job: most customers keep their
   lifecycle, tier and value class, so PostgreSQL's UPDATE is HOT (see customers migration
   0002, fillfactor 50) and SQLite rewrites only the changed columns' index entries.

`--keep DIR` keeps each loaded database (SQLite file in DIR, PostgreSQL database
`CARELOOP_BENCH_PG_DB`_<size>) and reuses it in a later run with the same DIR, size and seed
(loading 1m takes minutes). A reused database has been segmented before, so its "first run" is
not the first after a bulk load: the table says "reused".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("CARELOOP_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# Another name lets two benchmarks run side by side.
PG_DB = os.environ.get("CARELOOP_BENCH_PG_DB", "careloop_bench_segment")
SIZES = {"10k": (10_000, 100_000), "100k": (100_000, 1_000_000), "1m": (1_000_000, 10_000_000)}
AS_OF = date(2026, 11, 1)
# End of D in Asia/Shanghai (UTC+8) as naive UTC, the form both engines store.
END = datetime(2026, 11, 1, 16, 0, tzinfo=UTC).replace(tzinfo=None)
DAY = 86400


def generate(customers: int, orders: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    buyers = int(customers * 0.9)
    # Skewed: a few customers buy a lot (lognormal weights).
    weight = rng.lognormal(0.0, 1.0, buyers)
    cust = rng.choice(buyers, size=orders, p=weight / weight.sum()) + 1
    # Each buyer stops at some point within three years; orders fall before that.
    stop = rng.uniform(0, 1, buyers) ** 2 * 3 * 365  # more recent stops
    back = stop[cust - 1] + rng.exponential(120, orders)
    back = np.minimum(back, 3 * 365 - 0.01)
    seconds = np.floor(back * DAY).astype(np.int64) + 1
    epoch_end = int(END.replace(tzinfo=UTC).timestamp())
    ts = epoch_end - seconds
    amount = np.round(rng.lognormal(5.0, 0.8, orders), 2)
    order = np.lexsort((ts, cust))
    cust, ts, amount = cust[order], ts[order], amount[order]
    # Per-customer summary (customers 1..buyers have orders; the rest are prospects).
    first = np.full(customers + 1, -1, dtype=np.int64)
    last = np.full(customers + 1, -1, dtype=np.int64)
    count = np.bincount(cust, minlength=customers + 1)
    spend = np.bincount(cust, weights=amount, minlength=customers + 1)
    starts = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]])
    ends = np.r_[starts[1:], len(cust)] - 1
    first[cust[starts]] = ts[starts]
    last[cust[ends]] = ts[ends]
    return {
        "customers": customers,
        "cust": cust,
        "ts": ts,
        "amount": amount,
        "first": first,
        "last": last,
        "count": count,
        "spend": spend,
    }


def _stamp(epoch: int) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%d %H:%M:%S")


CUSTOMER_COLS = (
    "id, external_id, name, name_initials, name_pinyin, gender, phone, phone_tail, email, "
    "region, city, industry, company, do_not_contact, first_order_at, last_order_at, "
    "order_count, lifetime_spend, created_at, updated_at"
)
ORDER_COLS = "external_id, customer_id, ordered_at, amount, product, category, channel"


def customer_rows(data: dict):
    now = _stamp(int(END.replace(tzinfo=UTC).timestamp()) - 30 * DAY)
    regions = ["浙江", "江苏", "上海", "广东", "北京"]
    for i in range(1, data["customers"] + 1):
        has = data["count"][i] > 0
        yield (
            i,
            f"C{i:07d}",
            f"客户{i}",
            "kh",
            "kehu",
            "M" if i % 2 else "F",
            f"+86138{i:08d}",
            f"{i % 10000:04d}",
            "",
            regions[i % 5],
            "",
            "",
            "",
            False,
            _stamp(data["first"][i]) if has else None,
            _stamp(data["last"][i]) if has else None,
            int(data["count"][i]),
            f"{data['spend'][i]:.2f}",
            now,
            now,
        )


def order_rows(data: dict):
    for n, (c, t, a) in enumerate(
        zip(data["cust"].tolist(), data["ts"].tolist(), data["amount"].tolist(), strict=True)
    ):
        yield (f"O{n:08d}", c, _stamp(t), f"{a:.2f}", "保温杯", "家居", "天猫")


def careloop(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "careloop", *args], env=env, check=True, cwd=ROOT, timeout=3600
    )


SEGMENT = """
import json, time, django
django.setup()
from datetime import date
from careloop.segments import services
from careloop.segments.services import segment_customers
steps, last = {}, [time.perf_counter(), "start"]
def progress(pct, step):
    now = time.perf_counter()
    steps[last[1]] = round(now - last[0], 2)
    last[:] = [now, step]
t = time.perf_counter()
r = segment_customers(as_of=date.fromisoformat(%r), progress=progress)
s = time.perf_counter() - t
# VmHWM: this process's own peak (ru_maxrss would include the parent's, kept across exec).
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"seconds": s, "maxrss_kib": hwm,
                  "lifecycle": r.lifecycle, "tier": r.tier, "churn": r.churn_model,
                  "steps": steps, "code": services.__file__}))
"""


def run_segment(env: dict, as_of: date = AS_OF) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", SEGMENT % as_of.isoformat()],
        env=env | {"DJANGO_SETTINGS_MODULE": "careloop.settings"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=7200,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def base_env(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARELOOP_")}
    return env | {"CARELOOP_DATA_DIR": str(folder), "PYTHONPATH": str(ROOT)}


def sqlite_env(folder: Path, name: str) -> dict:
    return base_env(folder) | {"CARELOOP_DATABASE_URL": f"sqlite:///{folder / name}.sqlite3"}


def load_sqlite(env: dict, data: dict) -> None:
    db = env["CARELOOP_DATABASE_URL"].removeprefix("sqlite:///")
    Path(db).unlink(missing_ok=True)
    careloop(env, "migrate", "--noinput", "-v", "0")
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    marks = lambda cols: ", ".join("?" for _ in cols.split(","))  # noqa: E731
    with con:
        con.executemany(
            f"INSERT INTO customers_customer ({CUSTOMER_COLS}) VALUES ({marks(CUSTOMER_COLS)})",
            customer_rows(data),
        )
        con.executemany(
            f"INSERT INTO customers_order ({ORDER_COLS}) VALUES ({marks(ORDER_COLS)})",
            order_rows(data),
        )
    con.execute("ANALYZE")
    con.close()


def postgresql_env(folder: Path, name: str) -> dict:
    return base_env(folder) | {"CARELOOP_DATABASE_URL": f"{PG_SERVER}/{name}"}


def load_postgresql(env: dict, data: dict) -> None:
    import psycopg

    url = env["CARELOOP_DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name}")
        con.execute(f"CREATE DATABASE {name}")
    careloop(env, "migrate", "--noinput", "-v", "0")
    with psycopg.connect(url) as con:
        with con.cursor() as cur:
            with cur.copy(f"COPY customers_customer ({CUSTOMER_COLS}) FROM STDIN") as copy:
                for row in customer_rows(data):
                    copy.write_row(row)
            with cur.copy(f"COPY customers_order ({ORDER_COLS}) FROM STDIN") as copy:
                for row in order_rows(data):
                    copy.write_row(row)
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), %s)",
                (data["customers"],),
            )
        con.commit()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("VACUUM ANALYZE")


def _vacuum(env: dict) -> None:
    import psycopg

    with psycopg.connect(env["CARELOOP_DATABASE_URL"], autocommit=True) as con:
        con.execute("VACUUM ANALYZE customers_customer")


def duckdb_sql() -> str:
    """The same definitions as careloop.segments.services, written for DuckDB."""
    end = f"TIMESTAMP '{END:%Y-%m-%d %H:%M:%S}'"

    def start(days_back: int) -> str:
        return f"TIMESTAMP '{END - timedelta(days=days_back + 1):%Y-%m-%d %H:%M:%S}'"

    def days(col: str) -> str:
        return f"CAST(CAST(epoch({end}) - epoch({col}) AS BIGINT) // 86400 AS INTEGER)"

    return f"""
CREATE OR REPLACE TABLE result AS
WITH w AS (
  SELECT customer_id AS id, COUNT(*) AS f, SUM(amount) AS m,
    SUM(CASE WHEN ordered_at >= {start(89)} THEN amount ELSE 0 END) AS d,
    SUM(CASE WHEN ordered_at >= {start(179)} AND ordered_at < {start(89)}
        THEN amount ELSE 0 END) AS dp,
    SUM(CASE WHEN ordered_at >= {start(179)} THEN amount ELSE 0 END) AS pot,
    SUM(CASE WHEN ordered_at >= {start(359)} AND ordered_at < {start(179)}
        THEN amount ELSE 0 END) AS potp
  FROM orders WHERE ordered_at >= {start(364)} AND ordered_at < {end} GROUP BY customer_id),
base AS (
  SELECT c.id, {days("c.last_order_at")} AS r_days, {days("c.first_order_at")} AS first_days,
    COALESCE(w.f, 0) AS f, COALESCE(w.m, 0) AS m, COALESCE(w.d, 0) AS d,
    COALESCE(w.dp, 0) AS dp, COALESCE(w.pot, 0) AS pot, COALESCE(w.potp, 0) AS potp
  FROM customers c LEFT JOIN w ON w.id = c.id WHERE c.first_order_at IS NOT NULL),
tiles AS (
  SELECT *, NTILE(5) OVER (ORDER BY r_days DESC) AS nr, NTILE(5) OVER (ORDER BY f) AS nf,
    NTILE(5) OVER (ORDER BY m) AS nm, RANK() OVER (ORDER BY m DESC) AS m_rank,
    SUM(CASE WHEN m > 0 THEN 1 ELSE 0 END) OVER () AS spenders FROM base),
scored AS (
  SELECT *, MIN(nr) OVER (PARTITION BY r_days) AS r_score,
    MIN(nf) OVER (PARTITION BY f) AS f_score, MIN(nm) OVER (PARTITION BY m) AS m_score
  FROM tiles),
l1 AS (
  SELECT c.id, s.id AS sid, s.r_days, s.r_score, s.f_score, s.m_score, s.first_days,
    s.pot, s.potp,
    CASE WHEN s.id IS NULL THEN 'prospect' WHEN s.r_days >= 365 THEN 'lost'
      WHEN s.r_days < 60 AND s.dp > 0 AND s.d * 100 <= s.dp * 50 THEN 'churn_warning'
      WHEN s.first_days < 90 THEN 'new' WHEN s.r_days < 60 THEN 'active'
      ELSE 'dormant' END AS lifecycle,
    CASE WHEN s.m > 0 THEN CASE WHEN 100 * (s.m_rank - 1) < 20 * s.spenders THEN 'A'
      WHEN 100 * (s.m_rank - 1) < 50 * s.spenders THEN 'B' ELSE 'C' END ELSE '' END AS tier
  FROM customers c LEFT JOIN scored s ON s.id = c.id)
SELECT id, r_days, r_score, f_score, m_score, lifecycle, tier,
  CASE WHEN sid IS NULL THEN '' WHEN tier = 'A' THEN 'core'
    WHEN potp > 0 AND pot * 100 >= potp * 130 THEN 'potential'
    WHEN first_days < 180 THEN 'new' WHEN lifecycle = 'lost' THEN 'lost'
    ELSE 'regular' END AS value_class
FROM l1
"""


def run_duckdb(data: dict) -> dict:
    import duckdb
    import pandas as pd

    con = duckdb.connect()
    n = data["customers"]
    has = data["count"][1:] > 0

    def stamps(epochs):
        return pd.to_datetime(np.where(has, epochs, 0), unit="s").where(has)

    customers = pd.DataFrame(  # noqa: F841 (read by DuckDB by name)
        {
            "id": np.arange(1, n + 1),
            "first_order_at": stamps(data["first"][1:]),
            "last_order_at": stamps(data["last"][1:]),
        }
    )
    orders = pd.DataFrame(  # noqa: F841
        {
            "customer_id": data["cust"],
            "ordered_at": pd.to_datetime(data["ts"], unit="s"),
            "amount": data["amount"],
        }
    )
    con.execute("CREATE TABLE customers AS SELECT * FROM customers")
    con.execute(
        "CREATE TABLE orders AS SELECT customer_id, ordered_at,"
        " CAST(amount AS DECIMAL(14, 2)) AS amount FROM orders"
    )
    started = time.perf_counter()
    con.execute(duckdb_sql())
    seconds = time.perf_counter() - started
    lifecycle = dict(con.execute("SELECT lifecycle, COUNT(*) FROM result GROUP BY 1").fetchall())
    tier = dict(con.execute("SELECT tier, COUNT(*) FROM result GROUP BY 1").fetchall())
    con.close()
    return {"seconds": seconds, "lifecycle": lifecycle, "tier": tier}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k", help="10k, 100k, 1m (comma-separated)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", help="keep the loaded databases in this folder and reuse them")
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    rows, steps = [], []
    for size in args.sizes.split(","):
        n_customers, n_orders = SIZES[size]
        started = time.perf_counter()
        data = generate(n_customers, n_orders, args.seed)
        print(f"[{size}] generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        duck = run_duckdb(data)
        print(f"[{size}] duckdb {duck['seconds']:.2f} s", file=sys.stderr)
        for engine in engines:
            with tempfile.TemporaryDirectory(prefix="careloop-bench-seg-") as tmp:
                folder = Path(args.keep or tmp)
                folder.mkdir(parents=True, exist_ok=True)
                name = f"segment_{size}_s{args.seed}"
                if engine == "sqlite":
                    env, loader = sqlite_env(folder, name), load_sqlite
                else:
                    pg_name = f"{PG_DB}_{size}_s{args.seed}" if args.keep else PG_DB
                    env, loader = postgresql_env(folder, pg_name), load_postgresql
                loaded = folder / f"{name}.{engine}.loaded"
                reused = bool(args.keep) and loaded.exists()
                if reused:
                    print(
                        f"[{size}] {engine} reused ({env['CARELOOP_DATABASE_URL']})",
                        file=sys.stderr,
                    )
                else:
                    loaded.unlink(missing_ok=True)
                    started = time.perf_counter()
                    loader(env, data)
                    loaded.touch()
                    print(
                        f"[{size}] {engine} loaded in {time.perf_counter() - started:.1f} s",
                        file=sys.stderr,
                    )
                ours = run_segment(env)
                if engine == "postgresql":
                    _vacuum(env)  # autovacuum runs between two nights
                night = run_segment(env, AS_OF + timedelta(days=1))
            same = {k: v for k, v in ours["lifecycle"].items() if v} == {
                k: v for k, v in duck["lifecycle"].items() if v
            } and {k: v for k, v in ours["tier"].items() if v} == duck["tier"]
            rows.append(
                (
                    size,
                    f"{engine} (reused)" if reused else engine,
                    f"{n_customers:,}/{n_orders:,}",
                    duck["seconds"],
                    ours["seconds"],
                    ours["seconds"] / duck["seconds"],
                    night["seconds"],
                    night["seconds"] / duck["seconds"],
                    max(ours["maxrss_kib"], night["maxrss_kib"]) / 1024,
                    "yes" if same else "NO",
                    ours["churn"] or "fitted",
                )
            )
            print(f"[{size}] {engine}: {ours}", file=sys.stderr)
            print(f"[{size}] {engine} next night: {night}", file=sys.stderr)
            steps.append((size, engine, ours["steps"]))
            steps.append((size, f"{engine} next night", night["steps"]))
    print()
    print(
        "| size | engine | customers/orders | DuckDB s | careloop s (first run) | ratio |"
        " next night s | ratio | peak RSS MiB | counts match | churn |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for size, engine, label, duck_s, ours_s, ratio, night_s, night_r, rss, same, churn in rows:
        print(
            f"| {size} | {engine} | {label} | {duck_s:.2f} | {ours_s:.2f} | {ratio:.1f}× |"
            f" {night_s:.2f} | {night_r:.1f}× | {rss:.0f} | {same} | {churn} |"
        )
    print("\nseconds per step (orders = aggregates and scores, write = UPDATE of customers):")
    for size, engine, parts in steps:
        shown = ", ".join(f"{k} {v}" for k, v in parts.items() if k != "start")
        print(f"  {size} {engine}: {shown}")
    print(
        f"\nbench maxrss (generator + DuckDB): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
