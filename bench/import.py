"""Benchmark: `careloop import orders` against each engine's plain bulk load, in the same run.

    python bench/import.py --orders 1000000 [--engines sqlite,postgresql] [--seed 7]

Generates a seeded orders CSV with Chinese headers (客户编号, 订单号, 下单时间, 金额, …) for N
orders over N/10 customers, imports the customers first (not timed), then times:
  sqlite:     the sqlite3 module's executemany of the parsed CSV rows into a bare table (no
              indexes) vs `careloop import orders` into a fresh, migrated SQLite database;
  postgresql: COPY of the same CSV into a bare table vs `careloop import orders` into a fresh,
              migrated PostgreSQL database (CARELOOP_BENCH_PG, default the local server).
`careloop` runs in a subprocess; its peak RSS is measured with getrusage(RUSAGE_CHILDREN) in a
wrapper process. A re-import of the same file (0 created, 0 updated) is timed as well.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CARELOOP = [sys.executable, "-m", "careloop"]
PG_SERVER = os.environ.get("CARELOOP_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_DB = os.environ.get("CARELOOP_BENCH_PG_DB", "careloop_bench_import")

# Runs a command and prints its peak RSS (KiB) on stderr's last line.
MEASURE = (
    "import resource, subprocess, sys; "
    "rc = subprocess.call(sys.argv[1:]); "
    "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(rc)"
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅晨浩宇欣怡子轩梓涵"
REGIONS = ["浙江", "江苏", "上海", "广东", "北京", "山东", "四川", "湖北", "福建", "河南"]
PRODUCTS = [
    ("保温杯", "家居"),
    ("蓝牙耳机", "数码"),
    ("大米 5kg", "食品"),
    ("洗衣液", "日化"),
    ("运动鞋", "服饰"),
    ("绿茶礼盒", "食品"),
    ("空气炸锅", "家电"),
    ("儿童绘本", "图书"),
]
CHANNELS = ["天猫", "京东", "门店", "小程序", "抖音"]


def generate(folder: Path, orders: int, seed: int) -> tuple[Path, Path]:
    rng = random.Random(seed)
    n_customers = max(1, orders // 10)
    customers = folder / "customers.csv"
    with customers.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["客户编号", "姓名", "性别", "手机", "省份", "标签", "注册时间"])
        for i in range(n_customers):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", rng.choice(GIVEN)])
            out.writerow(
                [
                    f"C{i:08d}",
                    name,
                    rng.choice("男女"),
                    f"1{rng.choice('3589')}{i:09d}",
                    rng.choice(REGIONS),
                    rng.choice(["", "VIP", "老客户", "VIP;老客户"]),
                    f"2022-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 10:00:00",
                ]
            )
    path = folder / "orders.csv"
    start = datetime(2023, 1, 1)  # noqa: DTZ001 - local wall-clock times, as in the source system
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["订单号", "客户编号", "下单时间", "金额", "产品", "品类", "渠道"])
        for i in range(orders):
            product, category = rng.choice(PRODUCTS)
            customer = int(rng.paretovariate(1.2)) % n_customers if i % 3 else i % n_customers
            moment = start + timedelta(seconds=rng.randrange(0, 700 * 86400))
            out.writerow(
                [
                    f"SO{i:09d}",
                    f"C{customer:08d}",
                    moment.strftime("%Y-%m-%d %H:%M:%S"),
                    f"{rng.lognormvariate(4.5, 1.0):.2f}",
                    product,
                    category,
                    rng.choice(CHANNELS),
                ]
            )
    return customers, path


def careloop(env: dict, *args: str, measure: bool = False) -> tuple[float, int, dict | None]:
    """Run `careloop …` (with --json when importing); returns (seconds, peak RSS MiB, result)."""
    cmd = [*CARELOOP, *args]
    if measure:
        cmd = [sys.executable, "-c", MEASURE, *cmd]
    began = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if proc.returncode != 0:
        sys.exit(f"careloop {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    rss = 0
    for line in proc.stderr.splitlines():
        if line.startswith("MAXRSS "):
            rss = int(line.split()[1]) // 1024
    result = json.loads(proc.stdout) if "--json" in args else None
    return seconds, rss, result


def sqlite_baseline(path: Path, db: Path) -> float:
    began = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE bare (external_id TEXT, customer_external_id TEXT, ordered_at TEXT,"
        " amount NUMERIC, product TEXT, category TEXT, channel TEXT)"
    )
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        next(rows)
        con.executemany("INSERT INTO bare VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return time.perf_counter() - began


def pg_baseline(path: Path, url: str) -> float:
    import psycopg

    with psycopg.connect(url) as con:
        con.execute("DROP TABLE IF EXISTS bare")
        con.execute(
            "CREATE TABLE bare (external_id text, customer_external_id text,"
            " ordered_at timestamptz, amount numeric(14,2), product text, category text,"
            " channel text)"
        )
        con.commit()
        began = time.perf_counter()
        copy_sql = "COPY bare FROM STDIN (FORMAT csv, HEADER)"
        with con.cursor() as cur, cur.copy(copy_sql) as copy, path.open("rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)
        con.commit()
        seconds = time.perf_counter() - began
        con.execute("DROP TABLE bare")
    return seconds


def pg_fresh_database() -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        con.execute(f"CREATE DATABASE {PG_DB}")
    return f"{PG_SERVER}/{PG_DB}"


def run_engine(engine: str, folder: Path, customers: Path, orders: Path, rows: int) -> dict:
    data_dir = folder / f"data-{engine}"
    data_dir.mkdir()
    env = {**os.environ, "CARELOOP_DATA_DIR": str(data_dir), "CARELOOP_LOG_LEVEL": "WARNING"}
    # This checkout's code, also where an editable install of another checkout is on sys.path.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("CARELOOP_TEST_DATABASE_URL", None)
    if engine == "postgresql":
        env["CARELOOP_DATABASE_URL"] = pg_fresh_database()
        baseline = pg_baseline(orders, env["CARELOOP_DATABASE_URL"])
    else:
        env.pop("CARELOOP_DATABASE_URL", None)
        baseline = sqlite_baseline(orders, folder / "baseline.sqlite3")
    careloop(env, "migrate", "--noinput", "-v", "0")
    careloop(env, "import", "customers", str(customers), "--json")
    seconds, rss, first = careloop(env, "import", "orders", str(orders), "--json", measure=True)
    again_s, again_rss, again = careloop(
        env, "import", "orders", str(orders), "--json", measure=True
    )
    assert first["created"] == rows and first["error_count"] == 0, first
    assert (again["created"], again["updated"]) == (0, 0), again
    return {
        "engine": engine,
        "rows": rows,
        "baseline_s": baseline,
        "careloop_s": seconds,
        "ratio": seconds / baseline,
        "peak_rss_mib": rss,
        "reimport_s": again_s,
        "reimport_unchanged": again["unchanged"],
        "reimport_rss_mib": again_rss,
        "phases_s": first.get("seconds", {}),
        "method": first.get("method", ""),
        "reimport_phases_s": again.get("seconds", {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--workdir", help="keep the files here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careloop-bench-") as tmp:
        folder = Path(args.workdir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        customers, orders = generate(folder, args.orders, args.seed)
        size = orders.stat().st_size / 2**20
        print(
            f"generated {args.orders:,} orders ({size:.0f} MiB) over {args.orders // 10:,}"
            f" customers in {time.perf_counter() - began:.1f}s",
            file=sys.stderr,
        )
        results = [
            run_engine(engine, folder, customers, orders, args.orders)
            for engine in args.engines.split(",")
        ]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{'engine':<11} {'rows':>10} {'baseline s':>11} {'careloop s':>11} {'ratio':>6}"
        f" {'peak RSS':>9} {'re-import s':>12}"
    )
    for r in results:
        print(
            f"{r['engine']:<11} {r['rows']:>10,} {r['baseline_s']:>11.2f} {r['careloop_s']:>11.2f}"
            f" {r['ratio']:>5.1f}x {r['peak_rss_mib']:>6} MiB {r['reimport_s']:>12.2f}"
        )
    for r in results:
        print(
            f"{r['engine']}: careloop phases (s, inside the process, {r['method']} path):"
            f" {r['phases_s']}; re-import: {r['reimport_phases_s']}"
        )


if __name__ == "__main__":
    main()
