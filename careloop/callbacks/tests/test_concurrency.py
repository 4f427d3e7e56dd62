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
