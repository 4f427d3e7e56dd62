"""Two plan runs at the same moment cannot create a task twice (PostgreSQL: real concurrency;
SQLite serialises writers, so there is nothing to race)."""

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from careloop.care import planner
from careloop.care.models import CallbackTask, PlanRun, PlanSuppression
from careloop.care.services import care_rules_ensure_defaults
from careloop.care.tests.helpers import customer, only

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]

D = date(2026, 9, 15)


def _customers() -> None:
    care_rules_ensure_defaults()
    only("wakeup", "churn_rescue", "birthday")
    for n in range(40):
        customer(f"沉睡{n}", lifecycle="dormant", tier="B", birthday=date(1990, 9, 17))
    for n in range(20):
        customer(f"预警{n}", lifecycle="churn_warning", tier="A")


def _race(times: int = 2) -> list:
    """Run plan_day for D in `times` threads at once, each with its own connection."""
    start = threading.Barrier(times)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(planner.plan_day(as_of=D))
        except Exception as exc:  # a thread cannot raise into the test: collect, assert below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_two_concurrent_runs_create_what_one_run_creates():
    _customers()
    results = _race()
    assert sorted(len(r.created) for r in results) == [0, 60]  # the second waited, then saw it
    assert CallbackTask.objects.count() == 60
    assert PlanSuppression.objects.count() == 40  # birthday lost to wakeup, recorded once


def test_without_the_lock_the_constraints_still_refuse_duplicates(monkeypatch):
    _customers()
    monkeypatch.setattr(planner, "_lock", lambda **_: True)
    _race(3)
    assert CallbackTask.objects.count() == 60
    assert CallbackTask.objects.values("customer", "purpose").distinct().count() == 60
    assert PlanSuppression.objects.count() == 40


def test_the_event_run_skips_while_another_run_holds_the_lock():
    _customers()
    only("complaint_followup", "churn_rescue")
    holding, release = threading.Event(), threading.Event()

    def nightly():
        with transaction.atomic():
            planner._lock()
            holding.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=nightly)
    thread.start()
    holding.wait(10)
    try:
        skipped = planner.plan_day(as_of=D, trigger="event")
        assert (skipped.counts()["created"], skipped.run_id) == (0, None)
    finally:
        release.set()
        thread.join()
    assert not PlanRun.objects.exists()
    assert planner.plan_day(as_of=D, trigger="event").counts()["created"] == 20
