"""Two agents pressing "下一个任务" at once never get the same task (PostgreSQL: each thread
has its own connection and transaction)."""

import threading

import pytest
from django.db import connection, connections

from careloop.accounts.services import user_create
from careloop.callbacks.services import callback_task_claim_next
from careloop.callbacks.tests.factories import make_customer, make_task

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)

AGENTS = 6
TASKS = 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_share_a_task(team_east):
    agents = [
        user_create(username=f"agent{i}", password="x", role="agent", team=team_east)
        for i in range(AGENTS)
    ]
    tasks = [make_task(make_customer(f"并发{i}", team=team_east)) for i in range(TASKS)]
    start = threading.Barrier(AGENTS)
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def work(agent):
        try:
            start.wait()
            got = []
            while (task := callback_task_claim_next(agent=agent)) is not None:
                got.append(task.pk)
            claimed[agent.username] = got
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    every = [pk for got in claimed.values() for pk in got]
    assert sorted(every) == sorted(t.pk for t in tasks)  # each task once, none lost
    assert len(every) == len(set(every))


@pytest.mark.django_db(transaction=True)
def test_a_locked_task_is_skipped_not_waited_for(team_east, agent_li):
    """While one agent's transaction holds the first task, the next agent gets the second
    at once (SKIP LOCKED) instead of waiting for the lock."""
    from django.db import transaction

    from careloop.care.models import CallbackTask

    first = make_task(make_customer("甲", team=team_east), priority="high")
    second = make_task(make_customer("乙", team=team_east))
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                CallbackTask.objects.select_for_update().get(pk=first.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        with connection.cursor() as cursor:  # fail fast instead of hanging if it would wait
            cursor.execute("SET lock_timeout = '2s'")
        task = callback_task_claim_next(agent=agent_li)
    finally:
        release.set()
        holder.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert task.pk == second.pk
