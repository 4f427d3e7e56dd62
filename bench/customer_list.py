"""Benchmark: the customer list and its searches on 1,000,000 customers (SQLite and PostgreSQL).

    python bench/customer_list.py [--customers 1000000] [--engines sqlite,postgres]

Loads N synthetic customers (seeded) with tags into a fresh database per engine, then times each
list query exactly as the page runs it (scoped queryset, COUNT for the pager, one page of 25, the
page's tags). The baseline, timed in the same run on the same data, is the bare first page of the
table by primary key (`SELECT … ORDER BY id DESC LIMIT 25`): the ratio says how much a search or
filter costs over the cheapest possible page.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许"
    "韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅晨浩宇欣怡子轩梓涵一诺雨桐"
)
REGIONS = ["浙江", "江苏", "上海", "广东", "北京", "山东", "四川", "湖北", "福建", "河南"]
INDUSTRIES = ["制造业", "零售", "餐饮", "教育", "医疗", "物流", "互联网", "金融"]
TAGS = ["VIP", "高频购买", "关注促销", "价格敏感", "企业客户", "老客户", "新客户", "潜在流失"]


def setup(engine: str, data_dir: str) -> None:
    os.environ["CARELOOP_DATA_DIR"] = data_dir
    if engine == "postgres":
        url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/careloop_bench")
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["CARELOOP_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(n: int, seed: int) -> None:
    from django.db import connection, transaction

    from careloop.accounts.models import Team
    from careloop.core.text import pinyin_full, pinyin_initials

    rng = random.Random(seed)
    teams = [Team.objects.create(code=f"t{i}", name=f"团队{i}") for i in range(10)]
    pinyin_cache: dict[str, tuple[str, str]] = {}
    cols = (
        "name",
        "name_initials",
        "name_pinyin",
        "gender",
        "phone",
        "phone_tail",
        "email",
        "region",
        "city",
        "industry",
        "company",
        "team_id",
        "do_not_contact",
        "order_count",
        "lifetime_spend",
        "created_at",
        "updated_at",
    )
    sql = (
        f"INSERT INTO customers_customer ({', '.join(cols)}) VALUES "
        f"({', '.join(['%s'] * len(cols))})"
    )
    tag_sql = "INSERT INTO customers_customer_tags (customer_id, tag_id) VALUES (%s, %s)"
    with connection.cursor() as cur:
        for t in TAGS:
            cur.execute("INSERT INTO customers_tag (name) VALUES (%s)", [t])
    from careloop.customers.models import Tag

    tag_ids = list(Tag.objects.values_list("id", flat=True))
    now = "2026-11-01 00:00:00+00:00"
    batch = 20000
    for start in range(0, n, batch):
        rows, tag_rows = [], []
        for i in range(start, min(n, start + batch)):
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
            if name not in pinyin_cache:
                pinyin_cache[name] = (pinyin_initials(name), pinyin_full(name))
            ini, full = pinyin_cache[name]
            phone = f"+861{rng.choice('3589')}{i:09d}"
            company = (
                f"{rng.choice(REGIONS)}{rng.choice('恒达宏远鑫源华盛')}{i % 997}有限公司"
                if i % 3 == 0
                else ""
            )
            rows.append(
                (
                    name,
                    ini,
                    full,
                    rng.choice("MF"),
                    phone,
                    phone[-4:],
                    f"u{i}@example.com" if i % 4 == 0 else "",
                    rng.choice(REGIONS),
                    "",
                    rng.choice(INDUSTRIES),
                    company,
                    teams[i % 10].pk,
                    False,
                    0,
                    0,
                    now,
                    now,
                )
            )
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, rows)
            cur.execute("SELECT MAX(id) FROM customers_customer")
            last = cur.fetchone()[0]
            first = last - len(rows) + 1
            for cid in range(first, last + 1):
                if cid % 5 == 0:
                    tag_rows.append((cid, rng.choice(tag_ids)))
            cur.executemany(tag_sql, tag_rows)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def timed(fn, repeat: int = 5) -> float:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def run(engine: str, n: int, seed: int) -> list[tuple]:
    from django.db import connection

    from careloop.accounts.models import Team, User
    from careloop.core.pagination import COUNT_CAP, paginate
    from careloop.customers.models import Customer
    from careloop.customers.selectors import CustomerFilters, customer_list, with_tags

    admin = User.objects.create(username="bench-admin", role="admin")
    agent = User.objects.create(username="bench-agent", role="agent", team=Team.objects.first())
    sample = Customer.objects.order_by("id")[n // 2]

    def page(user, **kw):
        def go():
            p = paginate(
                customer_list(user=user, filters=CustomerFilters(**kw)), 1, count_cap=COUNT_CAP
            )
            with_tags(list(p.object_list))
            return p.paginator.count

        return go

    def baseline():
        with connection.cursor() as cur:
            cur.execute("SELECT id, name, phone FROM customers_customer ORDER BY id DESC LIMIT 25")
            cur.fetchall()

    cases = [
        ("first page (admin, all)", page(admin)),
        ("agent scope (team or owner)", page(agent)),
        ("name 全名", page(admin, q=sample.name)),
        ("surname prefix 王", page(admin, q="王")),
        ("pinyin initials", page(admin, q=sample.name_initials)),
        ("phone full", page(admin, q=sample.phone)),
        ("phone last 4", page(admin, q=sample.phone_tail)),
        ("company prefix", page(admin, q="浙江恒达1")),
        ("tag VIP", page(admin, tag="VIP")),
        ("region + industry, by spend", page(admin, region="浙江", industry="零售", sort="-spend")),
        ("sort by name, page 1", page(admin, sort="name")),
    ]
    base = timed(baseline)
    results = [(engine, "baseline: bare first page", base, 1.0, "")]
    for label, fn in cases:
        s = timed(fn)
        results.append((engine, label, s, s / base, fn()))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.engine:  # child process: one engine per process (settings are read once)
        setup(args.engine, tempfile.mkdtemp(prefix="bench-list-"))
        t = time.perf_counter()
        load(args.customers, args.seed)
        print(
            f"# {args.engine}: loaded {args.customers:,} customers in "
            f"{time.perf_counter() - t:.1f}s",
            flush=True,
        )
        for engine, label, s, ratio, count in run(args.engine, args.customers, args.seed):
            print(f"{engine:9} {label:32} {s * 1000:9.1f} ms {ratio:8.1f}x  {count}", flush=True)
        return
    import subprocess

    print(f"{'engine':9} {'query':32} {'median':>12} {'ratio':>9}  rows")
    for engine in args.engines.split(","):
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--engine",
                engine,
                "--customers",
                str(args.customers),
                "--seed",
                str(args.seed),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
