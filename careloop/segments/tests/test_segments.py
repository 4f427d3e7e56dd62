"""Each definition of DESIGN.md §3 "Segments" pinned with hand-made customers at its edges.

D = 2026-11-01 throughout; days count in Asia/Shanghai (an order at 10:00 on D−60 is 60 days
before D). Run on SQLite and on PostgreSQL (CARELOOP_TEST_DATABASE_URL)."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from careloop.customers.models import Customer
from careloop.customers.tests.factories import (
    make_complaint,
    make_contact,
    make_customer,
    make_order,
)
from careloop.segments.models import SegmentSnapshot
from careloop.segments.reasons import health_reasons_text
from careloop.segments.selectors import segment_transitions
from careloop.segments.services import segment_customers

pytestmark = pytest.mark.django_db
D = date(2026, 11, 1)


def ago(days: int, hour: str = "10:00") -> str:
    return f"{D - timedelta(days=days):%Y-%m-%d} {hour}"


def buyer(name: str, *orders: tuple[int, str]) -> Customer:
    customer = make_customer(name)
    for days, amount in orders:
        make_order(customer, amount, ago(days))
    return customer


def segmented(*customers: Customer, as_of: date = D) -> list[Customer]:
    segment_customers(as_of=as_of)
    for c in customers:
        c.refresh_from_db()
    return list(customers)


def test_prospect_has_no_scores_tier_or_class():
    (p,) = segmented(make_customer("潜在"))
    assert (p.lifecycle, p.tier, p.value_class) == ("prospect", "", "")
    assert (p.r_days, p.r_score, p.f_score, p.m_score, p.f_count) == (None, None, None, None, 0)
    assert {"code": "no_orders"} in p.health_reasons
    assert p.segmented_as_of == D


def test_active_until_59_days_dormant_from_60():
    a = buyer("五十九", (59, "100"), (300, "100"))
    b = buyer("六十", (60, "100"), (300, "100"))
    # 23:59 on D−60 is still 60 days before D; 00:00 on D−59 is 59.
    c = make_customer("午夜")
    make_order(c, "100", ago(60, "23:59"))
    make_order(c, "100", ago(300))
    a, b, c = segmented(a, b, c)
    assert (a.r_days, a.lifecycle) == (59, "active")
    assert (b.r_days, b.lifecycle) == (60, "dormant")
    assert (c.r_days, c.lifecycle) == (60, "dormant")


def test_dormant_until_364_days_lost_from_365():
    a = buyer("三六四", (364, "100"))
    b = buyer("三六五", (365, "100"))
    a, b = segmented(a, b)
    assert (a.lifecycle, b.lifecycle) == ("dormant", "lost")
    assert (a.f_count, b.f_count) == (1, 0)  # (D−365, D] holds D−364, not D−365
    assert b.value_class == "lost" and b.tier == ""


def test_new_until_first_order_89_days_ago():
    a = buyer("八十九", (89, "100"), (5, "100"))
    b = buyer("九十", (90, "100"), (5, "100"))
    a, b = segmented(a, b)
    assert (a.lifecycle, b.lifecycle) == ("new", "active")


def test_churn_warning_when_recent_spend_is_at_most_half():
    half = buyer("一半", (120, "100"), (10, "50"))
    more = buyer("过半", (120, "100"), (10, "50.01"))
    zeros = buyer("零元", (120, "0"), (10, "0"))  # both halves 0: nothing dropped
    quiet = buyer("不再买", (120, "100"), (70, "10"))  # dropped but not still buying
    half, more, zeros, quiet = segmented(half, more, zeros, quiet)
    assert half.lifecycle == "churn_warning"
    assert more.lifecycle == "active"
    assert zeros.lifecycle == "active"
    assert quiet.lifecycle == "dormant"


def test_complaint_open_more_than_7_days_is_churn_warning():
    seven = buyer("七天", (10, "100"), (200, "100"))
    eight = buyer("八天", (10, "100"), (200, "100"))
    resolved = buyer("已解决", (10, "100"), (200, "100"))
    dormant = buyer("沉睡投诉", (100, "100"))
    prospect = make_customer("没买过")
    make_complaint(seven, ago(7))
    make_complaint(eight, ago(8, "23:00"))
    make_complaint(dormant, ago(30))
    make_complaint(prospect, ago(30))
    make_complaint(resolved, ago(30), status="resolved", resolved_at=_at(ago(20)))
    seven, eight, resolved, dormant, prospect = segmented(seven, eight, resolved, dormant, prospect)
    assert seven.lifecycle == "active"
    assert eight.lifecycle == "churn_warning"
    assert resolved.lifecycle == "active"
    assert dormant.lifecycle == "churn_warning"  # the complaint alone suffices
    assert prospect.lifecycle == "prospect"  # precedence: prospect first
    assert {"code": "complaints", "n": 1} in seven.health_reasons


def _at(text):
    from careloop.customers.tests.factories import at

    return at(text)


def test_tiers_by_rank_2_a_3_b_5_c():
    people = [buyer(f"客{i}", (10, str(100 * (i + 1)))) for i in range(10)]
    none = buyer("一年前", (400, "5000"))
    *people, none = segmented(*people, none)
    tiers = [c.tier for c in reversed(people)]  # highest spend first
    assert tiers == ["A", "A", "B", "B", "B", "C", "C", "C", "C", "C"]
    assert none.tier == ""
    assert people[-1].value_class == "core"


def test_tier_ties_at_a_boundary_get_the_better_tier():
    top = [buyer(f"并列{i}", (10, "900")) for i in range(3)]
    rest = [buyer(f"其余{i}", (10, str(10 * (i + 1)))) for i in range(7)]
    customers = segmented(*top, *rest)
    assert [c.tier for c in customers[:3]] == ["A", "A", "A"]
    assert sorted(c.tier for c in customers[3:]) == ["B", "B", "C", "C", "C", "C", "C"]


def test_quintiles_five_is_best():
    ms = [buyer(f"M{i}", (10, str(10 * (i + 1)))) for i in range(10)]
    ms = segmented(*ms)
    assert [c.m_score for c in ms] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_quintile_ties_on_recency():
    days = [40, 30, 20, 10, 10]
    people = segmented(*[buyer(f"R{d}-{i}", (d, "100")) for i, d in enumerate(days)])
    # NTILE gives the two 10-day customers 4 and 5; tied, both get the lower
    assert [c.r_score for c in people] == [1, 2, 3, 4, 4]
    assert [c.f_score for c in people] == [1, 1, 1, 1, 1]  # everyone tied on F = 1


def test_no_orders_in_the_last_year_scores_f_and_m_of_1():
    old = [buyer(f"旧{i}", (400, "100")) for i in range(3)]
    recent = [buyer(f"近{i}", (10, "100"), (20, "100")) for i in range(2)]
    people = segmented(*old, *recent)
    assert [(c.f_score, c.m_score) for c in people] == [(1, 1)] * 3 + [(4, 4)] * 2


def _fillers(n: int = 5) -> list[Customer]:
    """Big spenders that take tier A, so the customers under test are not core."""
    return [buyer(f"大客户{i}", (20, "100000")) for i in range(n)]


def test_value_class_potential_from_130_percent():
    _fillers()
    pot = buyer("潜力", (200, "100"), (30, "130"))
    flat = buyer("持平", (200, "100"), (30, "129.99"))
    pot, flat = segmented(pot, flat)
    assert (pot.tier, pot.value_class) == ("C", "potential")
    assert flat.value_class == "regular"


def test_value_class_new_within_180_days():
    _fillers()
    a = buyer("一七九", (179, "100"))
    b = buyer("一八零", (180, "100"))
    a, b = segmented(a, b)
    assert (a.lifecycle, a.value_class) == ("dormant", "new")
    assert (b.lifecycle, b.value_class) == ("dormant", "regular")


def test_health_reasons_stored_as_codes_shown_in_plain_chinese():
    c = buyer("下降", (160, "1000"), (75, "380"))
    make_contact(c, "consult", ago(3))
    (c,) = segmented(c)
    assert c.health_reasons == [{"code": "recency", "days": 75}, {"code": "spend_drop", "pct": 62}]
    assert (
        health_reasons_text(c.health_reasons) == "最近一次下单 75 天前；近90天消费较前90天下降 62%"
    )
    with translation.override("en"):
        assert health_reasons_text(c.health_reasons) == (
            "Last order 75 days ago; Spend in the last 90 days down 62% on the 90 days before"
        )
    # 100 − recency 75·40/365 (8) − drop 62 % of 15 (9)
    assert c.health == 83


def test_health_penalties_add_up_and_stop_at_zero():
    c = buyer("全不好", (400, "100"))
    make_complaint(c, ago(30))
    make_complaint(c, ago(20))
    make_contact(c, "survey", ago(5), nps=2)
    (c,) = segmented(c)
    # recency 40 + two complaints 30 + unhappy 15 = 85 (a contact, so no "no contact")
    assert c.health == 15
    assert c.health_reasons == [
        {"code": "complaints", "n": 2},
        {"code": "recency", "days": 400},
        {"code": "unhappy"},
    ]
    assert health_reasons_text(c.health_reasons) == (
        "有 2 个未结投诉；最近一次下单 400 天前；近期有不满意评价"
    )


def test_reasons_without_contact_and_stored_before_the_codes():
    assert health_reasons_text([{"code": "no_contact", "days": 90}, {"code": "no_orders"}]) == (
        "近90天无接触记录；尚未下单"
    )
    assert health_reasons_text(["最近一次下单 75 天前", {"code": "unhappy"}]) == (
        "最近一次下单 75 天前；近期有不满意评价"
    )  # old Chinese strings read as they are
    assert health_reasons_text(None) == "" and health_reasons_text([{"code": "?"}]) == "?"


def test_orders_after_d_are_ignored():
    c = buyer("以后", (100, "100"))
    make_order(c, "500", f"{D + timedelta(days=5):%Y-%m-%d} 10:00")
    (c,) = segmented(c)
    assert (c.r_days, c.f_count, c.m_spend) == (100, 1, 100)
    assert c.lifecycle == "dormant"


def test_rerun_same_day_replaces_its_snapshot():
    a = buyer("甲", (10, "100"))
    make_customer("乙")
    first = segment_customers(as_of=D)
    second = segment_customers(as_of=D)
    assert first.to_dict() == second.to_dict()
    assert SegmentSnapshot.objects.filter(as_of=D).count() == 2
    assert SegmentSnapshot.objects.get(customer=a, as_of=D).lifecycle == "new"


def test_transitions_between_two_dates():
    d1 = D - timedelta(days=30)
    woke = buyer("唤醒", (200, "100"))  # dormant on D−30 …
    stays = buyer("依旧", (200, "100"))
    segment_customers(as_of=d1)
    make_order(woke, "100", ago(5))  # … orders again → active on D
    segment_customers(as_of=D)
    moves = segment_transitions(since=d1, until=D)
    assert {"from": "dormant", "to": "active", "n": 1} in moves
    assert {"from": "dormant", "to": "dormant", "n": 1} in moves
    assert stays.segment_snapshots.count() == 2


def test_counts_by_stage_tier_and_class():
    buyer("甲", (10, "100"))
    buyer("乙", (400, "100"))
    make_customer("丙")
    result = segment_customers(as_of=D)
    body = result.to_dict()
    assert body["customers"] == 3
    assert body["lifecycle"] == {
        "prospect": 1,
        "new": 1,
        "active": 0,
        "churn_warning": 0,
        "dormant": 0,
        "lost": 1,
    }
    assert body["tier"] == {"A": 1, "B": 0, "C": 0, "none": 2}
    assert body["value_class"]["lost"] == 1 and body["value_class"]["none"] == 1


def test_cli_json_with_customers():
    buyer("甲", (10, "100"))
    make_customer("丙", external_id="P1")
    out = StringIO()
    call_command("segment", "--as-of", "2026-11-01", "--json", "--customers", stdout=out)
    body = json.loads(out.getvalue())
    assert body["as_of"] == "2026-11-01"
    assert set(body) == {"as_of", "customers", "lifecycle", "tier", "value_class", "churn_model"}
    assert len(body["customers"]) == 2
    row = next(r for r in body["customers"] if r["external_id"] == "P1")
    assert row == {
        "external_id": "P1",
        "lifecycle": "prospect",
        "tier": None,
        "value_class": None,
        "r_score": None,
        "f_score": None,
        "m_score": None,
        "churn_risk": None,
        "health": 70,
    }


def test_cli_counts_json_and_bad_date():
    buyer("甲", (10, "100"))
    out = StringIO()
    call_command("segment", "--as-of", "2026-11-01", "--json", stdout=out)
    assert json.loads(out.getvalue())["lifecycle"]["new"] == 1
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("segment", "--as-of", "11/01/2026", "--json", stdout=out)
    assert exit_.value.code == 2
    assert json.loads(out.getvalue())["code"] == "invalid_date"


def test_cli_summary_in_chinese():
    buyer("甲", (10, "100"))
    out = StringIO()
    call_command("segment", "--as-of", "2026-11-01", stdout=out)
    assert "分群完成" in out.getvalue() and "新客户 1" in out.getvalue()
    # one buyer is too few to fit the churn model, and the summary says so in words
    assert "流失风险未计算:复购客户太少,无法估计" in out.getvalue()


def test_churn_risk_and_expected_spend_from_the_fitted_models():
    regular = []
    for i in range(30):  # enough repeat buyers for BG/NBD to be fitted
        gaps = [10 + i, 40 + 2 * i, 90 + 3 * i, 200 + i]
        regular.append(buyer(f"复购{i}", *[(g, "100") for g in gaps[: 2 + i % 3]]))
    recent = buyer("常来", (2, "100"), (30, "100"), (60, "100"), (90, "100"))
    gone = buyer("久未来", (300, "100"), (320, "100"), (340, "100"), (360, "100"))
    result = segment_customers(as_of=D)
    recent.refresh_from_db()
    gone.refresh_from_db()
    assert result.churn_model == ""
    assert 0 <= recent.churn_risk < gone.churn_risk <= 1
    assert recent.expected_spend_12m > gone.expected_spend_12m >= 0


def test_expected_spend_falls_back_to_own_average_order_value():
    """Consumers (¥100 orders) among businesses (¥50,000): no single Gamma fits their mean
    spends (q ≤ 1), so expected spend = expected purchases × the customer's own average order
    value, flagged as `gamma_gamma_fallback`; the same order days give the same purchases."""
    for i in range(30):
        gaps = [10 + i, 40 + 2 * i, 90 + 3 * i, 200 + i]
        amount = "50000" if i % 3 == 0 else str(100 + i)
        buyer(f"复购{i}", *[(g, amount) for g in gaps[: 2 + i % 3]])
    buyer("常来", (2, "100"), (30, "100"), (60, "100"), (90, "100"))
    buyer("久未来", (300, "100"), (320, "100"), (340, "100"), (360, "100"))
    small = buyer("小客户", (5, "80"), (50, "120"), (100, "100"))
    big = buyer("大客户", (5, "80000"), (50, "120000"), (100, "100000"))
    out = StringIO()
    call_command("segment", "--as-of", D.isoformat(), stdout=out)
    small.refresh_from_db()
    big.refresh_from_db()
    assert "预计消费按客户自身平均客单价估算" in out.getvalue()
    assert small.churn_risk == big.churn_risk
    assert small.expected_spend_12m > 0
    assert big.expected_spend_12m == pytest.approx(1000 * small.expected_spend_12m, abs=10)


def test_too_few_repeat_buyers_leave_churn_risk_empty():
    c = buyer("一次", (10, "100"))
    result = segment_customers(as_of=D)
    c.refresh_from_db()
    assert result.churn_model == "too_few_repeat_customers"
    assert c.churn_risk is None and c.expected_spend_12m is None


def test_run_records_progress_and_counts(supervisor_zhao, django_capture_on_commit_callbacks):
    from careloop.segments.services import segment_run_start

    buyer("甲", (10, "100"))
    with django_capture_on_commit_callbacks(execute=True):
        run = segment_run_start(as_of=D, started_by=supervisor_zhao)
    run.refresh_from_db()
    assert (run.status, run.progress) == ("done", 100)
    assert run.counts["lifecycle"]["new"] == 1
    assert run.started_at <= run.finished_at


def test_nightly_job_runs_at_two_in_the_morning_shanghai():
    from datetime import UTC, datetime

    from careloop.segments.tasks import NIGHTLY

    def utc(hour: int) -> datetime:  # Huey (utc=True) checks naive UTC times
        return datetime(2026, 11, 1, hour, 0, tzinfo=UTC).replace(tzinfo=None)

    assert NIGHTLY(utc(18))  # 18:00 UTC = 02:00 on Nov 2 in Shanghai
    assert not NIGHTLY(utc(2))


def test_quintiles_match_ntile_when_customers_do_not_divide_by_five():
    # NTILE(5) over 7 rows makes buckets of 2, 2, 1, 1, 1.
    people = segmented(*[buyer(f"N{i}", (10, str(10 * (i + 1)))) for i in range(7)])
    assert [c.m_score for c in people] == [1, 1, 2, 2, 3, 4, 5]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_sqlite_temp_tables_go_to_disk_and_the_setting_comes_back():
    from django.db import connection

    buyer("甲", (10, "100"))
    with connection.cursor() as cursor:
        before = (
            cursor.execute("PRAGMA temp_store").fetchone()
            if connection.vendor == "sqlite"
            else None
        )
        result = segment_customers(as_of=D)
        if before is not None:
            assert cursor.execute("PRAGMA temp_store").fetchone() == before
    assert result.lifecycle["new"] == 1


def test_equal_spend_made_of_different_amounts_ties():
    # 0.1 + 0.2 is not 0.3 in floating point (SQLite's storage); as money they are equal.
    a = buyer("分两次", (10, "0.10"), (11, "0.20"))
    b = buyer("一次", (10, "0.30"))
    a, b = segmented(a, b)
    assert a.m_spend == b.m_spend
    assert (a.m_score, a.tier) == (b.m_score, b.tier) == (1, "A")  # NTILE(5) of 2 rows: 1, 2


def test_numbers_go_to_the_database_and_back_without_python_rows():
    import math

    import numpy as np
    from django.db import connection

    from careloop.segments import sql

    ids = np.array([3, 1, 2], dtype=np.int64)
    risk = np.array([0.25, math.nan, 1.0])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE seg_t (id bigint PRIMARY KEY, risk float)")
        sql.load_numbers(cursor, "seg_t", ("id", "risk"), (ids, risk))
        cursor.execute("SELECT id, risk FROM seg_t ORDER BY id")
        assert cursor.fetchall() == [(1, None), (2, 1.0), (3, 0.25)]  # NaN stored as NULL
        back = sql.fetch_floats(cursor, "SELECT id, risk, id * 2 FROM seg_t ORDER BY id", 3)
        cursor.execute("DROP TABLE seg_t")
    assert back.shape == (3, 3)
    assert back[:, 0].tolist() == [1.0, 2.0, 3.0] and back[:, 2].tolist() == [2.0, 4.0, 6.0]
    assert math.isnan(back[0, 1]) and back[1:, 1].tolist() == [1.0, 0.25]  # NULL → NaN


@pytest.mark.django_db(transaction=True)
def test_a_run_after_a_bulk_import_analyzes_what_was_never_analyzed():
    from django.db import connection

    from careloop.segments import sql

    with connection.cursor() as cursor:
        assert sql.refresh_statistics(cursor, (), vacuum=("customers_order",)) == []  # too small
    if connection.vendor != "postgresql":
        return
    customer = buyer("甲", (10, "100"))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_order (external_id, customer_id, ordered_at, amount,"
            " product, category, channel)"
            " SELECT 'B' || g, %s, now(), 1, '', '', '' FROM generate_series(1, 300000) g",
            [customer.pk],
        )
        cursor.execute("SELECT pg_stat_force_next_flush()")  # the counters, now, not within 1 s
        assert sql.refresh_statistics(cursor, ("customers_order",)) == ["analyze customers_order"]
        done = sql.refresh_statistics(cursor, (), vacuum=("customers_order",))
        assert done == ["vacuum customers_order"]  # bulk-loaded pages are not all-visible yet
        assert sql.refresh_statistics(cursor, (), vacuum=("customers_order",)) == []


def test_many_stage_changes_rebuild_the_segment_indexes_after_the_update(monkeypatch):
    from django.db import connection

    from careloop.segments import services

    monkeypatch.setattr(services, "MASS_MOVE_MIN", 0)  # a bulk import: everyone leaves prospect
    a, b = buyer("甲", (10, "100")), buyer("乙", (400, "50"))
    a, b = segmented(a, b)
    assert (a.lifecycle, b.lifecycle) == ("new", "lost")
    with connection.cursor() as cursor:
        names = {
            index
            for index, info in connection.introspection.get_constraints(
                cursor, "customers_customer"
            ).items()
            if info["index"]
        }
    assert set(services.SEGMENT_INDEXES) <= names
    assert Customer.objects.filter(lifecycle="lost").get() == b  # through the rebuilt index
