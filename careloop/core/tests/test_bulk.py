"""insert_rows: the same rows whichever way a batch goes in (unnest or COPY on PostgreSQL,
executemany on SQLite), conflicts skipped, ids returned in the rows' order."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction

from careloop.care.models import PlanSuppression
from careloop.core import bulk
from careloop.core.bulk import insert_rows
from careloop.customers.tests.factories import make_customer
from careloop.messaging.models import ScheduledMessage

MESSAGE_COLUMNS = (
    "customer_id", "purpose", "channel", "body", "marketing", "respect_quiet_hours",
    "send_at", "status", "suppressed_reason", "source_type", "source_id", "created_at",
)  # fmt: skip
ODD_TEXT = '张先生\t您好\n"引号" \\反斜杠\\ ,逗号;😀'


def message_rows(customers, n: int) -> list[tuple]:
    when = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
    return [
        (
            customers[i % len(customers)].pk,
            "wakeup",
            "sms",
            f"{ODD_TEXT} #{i}",
            i % 2 == 0,
            True,
            when,
            "scheduled",
            "",
            "complaint" if i % 3 == 0 else "",
            i if i % 3 == 0 else None,
            when,
        )
        for i in range(n)
    ]


def stored(pks=None) -> list[tuple]:
    qs = ScheduledMessage.objects.order_by("pk")
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    return list(qs.values_list(*MESSAGE_COLUMNS))


@pytest.mark.django_db
@pytest.mark.parametrize("n", [3, bulk.COPY_FROM, bulk.COPY_FROM * 3 + 7])
def test_rows_arrive_as_given(n):
    customers = [make_customer(f"客户{i}") for i in range(4)]
    rows = message_rows(customers, n)
    if connection.vendor == "postgresql":
        ids = insert_rows(ScheduledMessage, MESSAGE_COLUMNS, rows, returning="id")
        assert ids == sorted(ids) and len(ids) == n
        assert stored(ids) == rows  # in the order given: id i is row i
    else:
        insert_rows(ScheduledMessage, MESSAGE_COLUMNS, rows)
        assert stored() == rows


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, bulk.COPY_FROM + 1])
def test_conflicting_rows_are_skipped(n):
    customer = make_customer()
    day = date(2026, 11, 25)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    columns = ("plan_date", "customer_id", "purpose", "rule_id", "reason_code", "reason")
    columns += ("created_at",)
    purposes = [f"p{i}" for i in range(n)]
    first = [(day, customer.pk, p, None, "holdout", "对照组", now) for p in purposes[::2]]
    insert_rows(PlanSuppression, columns, first, ignore_conflicts=True)
    every = [(day, customer.pk, p, None, "precedence", "同日已有", now) for p in purposes]
    insert_rows(PlanSuppression, columns, every, ignore_conflicts=True)
    found = dict(PlanSuppression.objects.values_list("purpose", "reason_code"))
    assert len(found) == n
    assert {p for p, code in found.items() if code == "holdout"} == set(purposes[::2])


@pytest.mark.django_db
def test_a_rolled_back_batch_leaves_nothing_and_the_next_one_works():
    customers = [make_customer("甲")]
    with transaction.atomic():
        insert_rows(ScheduledMessage, MESSAGE_COLUMNS, message_rows(customers, bulk.COPY_FROM))
        transaction.set_rollback(True)
    assert stored() == []
    rows = message_rows(customers, bulk.COPY_FROM)
    insert_rows(ScheduledMessage, MESSAGE_COLUMNS, rows)
    assert stored() == rows


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction():
    customers = [make_customer("乙")]
    rows = message_rows(customers, bulk.COPY_FROM + 5)
    insert_rows(ScheduledMessage, MESSAGE_COLUMNS, rows)
    insert_rows(ScheduledMessage, MESSAGE_COLUMNS, rows[:10])
    assert stored() == rows + rows[:10]
