"""Benchmark: the daily care plan (`plan_day`) on SQLite and PostgreSQL next to DuckDB.

    python bench/plan.py                         # sizes 10k and 100k, both engines
    python bench/plan.py --sizes 100k --engines postgresql

Data: `bench/segment.py`'s seeded generator (customers with skewed orders over three years),
loaded the same way, then (not timed) birthdays for every customer spread over the year, the
segmentation as of D (`segment_customers`, so lifecycle and tier are real) and the default care
rules. For each size and engine, in one run:

1. **careloop**, timed: `plan_day(as_of=D)` in a fresh process (Django start-up not timed),
   as the nightly job runs it (`collect=False`: counts only): every enabled default rule,
   candidates by SQL in pages of 2,000 customers, hold-out, precedence, messages (through
   messaging: quiet hours, frequency cap), assignment, bulk writes. Peak RSS is the
   process's VmHWM (Python and Django included).
2. **Re-run**, timed: the same D again — it must create nothing.
3. **DuckDB**, timed: one query over the same customers (exported from the planned-on database
   before the run, not timed) that selects the same candidates of the segment and date
   purposes (churn_rescue, activation, wakeup, retention, birthday), applies the same hold-out
   hash and precedence and counts created and suppressed per purpose. It is the floor: no
   reasons, due dates, messages, assignment or writes.
4. The counts per purpose must match between careloop and DuckDB.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import segment as seg  # bench/segment.py: generator and loaders

from careloop.care.defaults import holdout_salt

AS_OF = seg.AS_OF
PURPOSES = ("churn_rescue", "activation", "wakeup", "retention", "birthday")
HOLDOUT = {"activation", "wakeup", "retention", "birthday"}  # default share 5 %

PLAN = """
import json, os, time, django
django.setup()
from datetime import date
from careloop.care.planner import plan_day
profile = os.environ.get("CARELOOP_BENCH_PROFILE")
if profile:
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
t = time.perf_counter()
r = plan_day(as_of=date.fromisoformat(%r), trigger="nightly", collect=False)
s = time.perf_counter() - t
if profile:
    profiler.disable()
    profiler.dump_stats(profile)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"seconds": s, "maxrss_kib": hwm, "counts": r.counts()}))
"""


def run_plan(env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PLAN % AS_OF.isoformat()],
        # DEBUG off, as in production: with DEBUG on Django keeps the last 9,000 statements.
        env=env | {"DJANGO_SETTINGS_MODULE": "careloop.settings", "CARELOOP_DEBUG": "0"},
        cwd=seg.ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=7200,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


BIRTHDAYS = {  # a birthday for everyone, spread over the year by id
    "sqlite": "UPDATE customers_customer"
    " SET birthday = date('1980-01-01', '+' || (id * 37 % 365) || ' days')",
    "postgresql": "UPDATE customers_customer"
    " SET birthday = DATE '1980-01-01' + (id * 37 % 365)::int",
}
EXPORT = (
    "SELECT id, lifecycle, tier, do_not_contact, first_order_at, last_order_at,"
    " CAST(strftime('%m', birthday) AS INTEGER), CAST(strftime('%d', birthday) AS INTEGER)"
    " FROM customers_customer"
)
EXPORT_PG = (
    "SELECT id, lifecycle, tier, do_not_contact, first_order_at, last_order_at,"
    " EXTRACT(MONTH FROM birthday)::int, EXTRACT(DAY FROM birthday)::int FROM customers_customer"
)
COLUMNS = ["id", "lifecycle", "tier", "dnc", "first_order_at", "last_order_at", "bm", "bd"]


def prepare(engine: str, env: dict) -> list[tuple]:
    """Birthdays, segments and rules (not timed); returns the customers for DuckDB."""
    url = env["CARELOOP_DATABASE_URL"]
    if engine == "sqlite":
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        with con:
            con.execute(BIRTHDAYS["sqlite"])
        con.close()
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute(BIRTHDAYS["postgresql"])
    seg.run_segment(env)
    if engine == "sqlite":
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        con.execute("ANALYZE")
        rows = con.execute(EXPORT).fetchall()
        con.close()
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute("VACUUM ANALYZE")
            rows = con.execute(EXPORT_PG).fetchall()
    return rows


def local_start(day: date) -> datetime:
    """Midnight of `day` in Asia/Shanghai as naive UTC (how both engines store it)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).replace(tzinfo=None) - timedelta(
        hours=8
    )


def duckdb_sql() -> str:
    d = AS_OF
    days = [d + timedelta(days=i) for i in range(8)]
    birthday = " OR ".join(f"(bm = {x.month} AND bd = {x.day})" for x in days)

    def ts(day: date) -> str:
        return f"TIMESTAMP '{local_start(day):%Y-%m-%d %H:%M:%S}'"

    cases = {
        "churn_rescue": "lifecycle = 'churn_warning'",
        "activation": f"first_order_at >= {ts(d - timedelta(days=15))}"
        f" AND first_order_at < {ts(d - timedelta(days=6))}",
        "wakeup": "lifecycle = 'dormant'",
        "retention": f"last_order_at >= {ts(d - timedelta(days=364))}"
        f" AND first_order_at < {ts(d - timedelta(days=89))}",
        "birthday": f"({birthday})",
    }
    union = " UNION ALL ".join(
        f"SELECT id, dnc, '{key}' AS purpose, {n} AS precedence,"
        f" {'true' if key in HOLDOUT else 'false'} AS holdout_rule,"
        f" ((id * 2654435761) % 4294967296 + {holdout_salt(key)}) % 10000 AS bucket"
        f" FROM customers WHERE {cond}"
        for n, (key, cond) in enumerate(cases.items())
    )
    return f"""
    CREATE TABLE result AS
    WITH cand AS ({union}),
    decided AS (
        SELECT *, CASE WHEN dnc THEN 'do_not_contact'
                       WHEN holdout_rule AND bucket < 500 THEN 'holdout' END AS early
        FROM cand
    ),
    ranked AS (
        SELECT *, ROW_NUMBER() OVER (
            PARTITION BY id ORDER BY (early IS NOT NULL), precedence) AS rank_in_day
        FROM decided
    )
    SELECT purpose,
           CASE WHEN early IS NOT NULL THEN early
                WHEN rank_in_day > 1 THEN 'precedence' ELSE 'created' END AS outcome,
           COUNT(*) AS n
    FROM ranked GROUP BY 1, 2
    """


def run_duckdb(rows: list[tuple]) -> dict:
    import duckdb
    import pandas as pd

    con = duckdb.connect()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["first_order_at"] = pd.to_datetime(frame["first_order_at"], utc=True).dt.tz_localize(None)
    frame["last_order_at"] = pd.to_datetime(frame["last_order_at"], utc=True).dt.tz_localize(None)
    frame["dnc"] = frame["dnc"].astype(bool)
    con.register("frame", frame)
    con.execute("CREATE TABLE customers AS SELECT * FROM frame")
    started = time.perf_counter()
    con.execute(duckdb_sql())
    seconds = time.perf_counter() - started
    counts: dict[str, dict[str, int]] = {}
    for purpose, outcome, n in con.execute("SELECT * FROM result").fetchall():
        counts.setdefault(purpose, {})[outcome] = n
    con.close()
    return {"seconds": seconds, "counts": counts}


def suppression_counts(engine: str, env: dict) -> dict[str, dict[str, int]]:
    sql = (
        "SELECT purpose, reason_code, COUNT(*) FROM care_plansuppression GROUP BY 1, 2"
        " UNION ALL SELECT purpose, 'created', COUNT(*) FROM care_callbacktask GROUP BY 1"
    )
    url = env["CARELOOP_DATABASE_URL"]
    if engine == "sqlite":
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        rows = con.execute(sql).fetchall()
        con.close()
    else:
        import psycopg

        with psycopg.connect(url) as con:
            rows = con.execute(sql).fetchall()
    found: dict[str, dict[str, int]] = {}
    for purpose, outcome, n in rows:
        if purpose in PURPOSES:
            found.setdefault(purpose, {})[outcome] = n
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k", help="10k, 100k, 1m (comma-separated)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--profile", metavar="DIR", help="cProfile the first plan run into DIR/<size>-<engine>.prof"
    )
    args = parser.parse_args()
    table = []
    for size in args.sizes.split(","):
        n_customers, n_orders = seg.SIZES[size]
        data = seg.generate(n_customers, n_orders, args.seed)
        for engine in [e for e in args.engines.split(",") if e]:
            with tempfile.TemporaryDirectory(prefix="careloop-bench-plan-") as tmp:
                started = time.perf_counter()
                if engine == "sqlite":
                    env = seg.sqlite_env(Path(tmp), "careloop")
                    seg.load_sqlite(env, data)
                else:
                    env = seg.postgresql_env(Path(tmp), seg.PG_DB)
                    seg.load_postgresql(env, data)
                rows = prepare(engine, env)
                print(
                    f"[{size}] {engine} loaded and segmented in"
                    f" {time.perf_counter() - started:.1f} s",
                    file=sys.stderr,
                )
                duck = run_duckdb(rows)
                del rows
                profile = {}
                if args.profile:
                    out = Path(args.profile).resolve() / f"{size}-{engine}.prof"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    profile = {"CARELOOP_BENCH_PROFILE": str(out)}
                ours = run_plan(env | profile)
                again = run_plan(env)
                written = suppression_counts(engine, env)
            same = written == duck["counts"]
            print(f"[{size}] {engine}: {ours}", file=sys.stderr)
            print(f"[{size}] {engine} written: {written}", file=sys.stderr)
            print(f"[{size}] duckdb: {duck}", file=sys.stderr)
            table.append(
                (
                    size,
                    engine,
                    f"{n_customers:,}",
                    ours["counts"]["created"],
                    ours["counts"]["suppressed"],
                    duck["seconds"],
                    ours["seconds"],
                    ours["seconds"] / duck["seconds"],
                    again["seconds"],
                    again["counts"]["created"],
                    ours["maxrss_kib"] / 1024,
                    "yes" if same else "NO",
                )
            )
    print()
    print(
        "| size | engine | customers | tasks | suppressed | DuckDB s | careloop s | ratio |"
        " re-run s | re-run created | peak RSS MiB | counts match |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for size, engine, n, created, supp, duck_s, ours_s, ratio, again_s, again_n, rss, same in table:
        print(
            f"| {size} | {engine} | {n} | {created:,} | {supp:,} | {duck_s:.2f} | {ours_s:.2f} |"
            f" {ratio:.0f}× | {again_s:.2f} | {again_n} | {rss:.0f} | {same} |"
        )


if __name__ == "__main__":
    main()
