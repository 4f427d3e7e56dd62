"""Benchmark: the screen pop (`GET /api/v1/screen-pop?phone=`) on a large customer base.

    python bench/screen_pop.py [--customers 1000000] [--engines sqlite,postgres] [--calls 300]

A telephony system calls the screen pop when a call rings; the issue asks for an answer in under
50 ms. Per engine, in a fresh database: N synthetic customers (the customer-list benchmark's
loader), then for one customer in ten an open callback task, for one in twenty an open complaint
and for every customer a few contacts, written in bulk. Then, timed through the whole Django stack
in-process (token auth, Ninja, JSON; no network), `--calls` screen pops for random phones, next to
the baseline measured in the same run on the same phones: `GET /api/v1/customers/lookup?phone=`,
the plain customer lookup by phone (one indexed read). Prints the median and 95th percentile in
milliseconds and the ratio of the medians.
"""

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from customer_list import load, setup  # noqa: E402

GOAL_MS = 50


def add_activity(n: int, seed: int) -> None:
    """Open tasks, open complaints and contacts for a share of the customers, in bulk SQL."""
    from django.db import connection, transaction

    rng = random.Random(seed)
    now = "2026-11-20 02:00:00+00:00"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT MIN(id), MAX(id) FROM customers_customer")
        low, high = cur.fetchone()
        tasks = [
            (cid, "wakeup", "medium", 2, "phone", now, "open", 0, "沉睡唤醒", "2026-11-20", now)
            for cid in range(low, high + 1, 10)
        ]
        cur.executemany(
            "INSERT INTO care_callbacktask (customer_id, purpose, priority, priority_rank, method,"
            " due_at, status, attempts, reason, plan_date, created_at, source_type, source_id,"
            " rule_version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '', NULL, 1)",
            tasks,
        )
        complaints = [
            (cid, now, "phone", "B", "质量问题", "设备异响", "open")
            for cid in range(low + 3, high + 1, 20)
        ]
        cur.executemany(
            "INSERT INTO complaints_complaint (customer_id, opened_at, channel, severity,"
            " category, description, status) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            complaints,
        )
        contacts = [
            (cid, f"2026-11-{rng.randint(1, 19):02d} 03:00:00+00:00", "phone", "consult", "咨询")
            for cid in range(low, high + 1)
            for _ in range(rng.randint(0, 3))
        ]
        cur.executemany(
            "INSERT INTO customers_interaction (customer_id, occurred_at, channel, kind, text)"
            " VALUES (%s, %s, %s, %s, %s)",
            contacts,
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def measure(client, path: str, phones: list[str], token: str) -> list[float]:
    times = []
    for phone in phones:
        start = time.perf_counter()
        response = client.get(path, {"phone": phone}, HTTP_AUTHORIZATION=f"Bearer {token}")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.content[:300]
    return times


def run(engine: str, n: int, calls: int, seed: int) -> None:
    from django.test import Client

    from careloop.accounts.services import api_token_create, user_create
    from careloop.customers.models import Customer

    admin = user_create(username="bench", password="bench-pw-123", role="admin")
    _, token = api_token_create(user=admin, name="bench")
    rng = random.Random(seed)
    ids = rng.sample(range(1, n + 1), min(calls, n))
    phones = list(Customer.objects.filter(pk__in=ids).values_list("phone", flat=True))
    client = Client()
    for path in ("/api/v1/customers/lookup", "/api/v1/screen-pop"):  # warm up
        measure(client, path, phones[:20], token)
    rows = []
    for label, path in (
        ("lookup (baseline)", "/api/v1/customers/lookup"),
        ("screen-pop", "/api/v1/screen-pop"),
    ):
        times = measure(client, path, phones, token)
        rows.append((label, statistics.median(times), statistics.quantiles(times, n=20)[-1]))
    base = rows[0][1]
    for label, median, p95 in rows:
        print(
            f"{engine:9} {n:>10,} {label:18} {median:8.2f} ms {p95:8.2f} ms {median / base:6.2f}x",
            flush=True,
        )
    verdict = "meets" if rows[1][2] < GOAL_MS else "misses"
    print(f"# {engine}: screen-pop p95 {rows[1][2]:.1f} ms {verdict} the {GOAL_MS} ms goal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:  # child process: one engine per process (settings are read once)
        setup(args.engine, tempfile.mkdtemp(prefix="bench-pop-"))
        start = time.perf_counter()
        load(args.customers, args.seed)
        add_activity(args.customers, args.seed)
        print(f"# {args.engine}: loaded in {time.perf_counter() - start:.0f} s", flush=True)
        run(args.engine, args.customers, args.calls, args.seed)
        return
    print(f"{'engine':9} {'customers':>10} {'call':18} {'median':>11} {'p95':>11} {'ratio':>7}")
    for engine in args.engines.split(","):
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--engine",
                engine,
                "--customers",
                str(args.customers),
                "--calls",
                str(args.calls),
                "--seed",
                str(args.seed),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
