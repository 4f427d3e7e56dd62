"""Segmentation (客户分群): RFM, lifecycle, value tier and class, churn risk and health for every
customer as of a date D, in set-based SQL that runs as written on SQLite and PostgreSQL.

`segment_customers(as_of=D)` builds a few temporary tables, one aggregate pass each, and
ends with one UPDATE … FROM of the customers and one INSERT … SELECT of the day's snapshot:

1. ``seg_w``: per customer, orders in (D−365, D]: count, spend, and spend in (D−90, D],
   (D−180, D−90], (D−180, D] and (D−360, D−180] (the covering index on orders
   (customer, ordered_at, amount) answers it without touching the table).
2. ``seg_base``: every customer with an order on or before D, with days since the last and the
   first order. When no order is later than D (the nightly run) first/last order, count and
   lifetime spend come from the summary kept on Customer by every order write; for a past D
   they are aggregated from the orders up to D.
3. ``seg_scored``: R/F/M quintiles with ``NTILE(5)`` and the spend rank for the tiers.
4. ``seg_cpl`` / ``seg_ctc``: open complaints and recent contacts, for lifecycle and health.
5. ``seg_churn``: BG/NBD P(alive) and Gamma-Gamma expected spend (careloop.segments.churn),
   computed in numpy on the per-customer summary and bulk-loaded back.
6. ``seg_result``: the final values for every customer → UPDATE customers, INSERT snapshot.

Ties. R, F and M are scored as NTILE(5) over customers with at least one order, ordered from
worst to best, so quintile 5 is the best fifth. Customers with the same value always get the
same score: the lowest quintile any of them reaches (what ``MIN(NTILE(5) …) OVER (PARTITION BY
value)`` gives; computed from RANK(), see ``_build_stats``). So a score of 5 is earned, never
shared by a big tie (at most a fifth score 5), and the many buyers with no order in the last
365 days (F = 0, M = 0) all score 1.
Tiers rank the customers with spend by that spend (``RANK()``: equal spend, equal rank): A when
fewer than 20 % of them spent more, B when fewer than 50 % did, else C; ties at a boundary all
get the better tier. With 10 customers of distinct spend that is 2 A, 3 B, 5 C.

Edge decisions (DESIGN.md §3 leaves them open):
- churn_warning by spend needs spend in (D−180, D−90] > 0: when both halves are 0 (zero-amount
  orders only) nothing dropped. Exactly half counts ("at most half").
- churn_warning by complaint: a complaint open more than 7 days (opened on D−8 or earlier, still
  open at the end of D) makes any customer with orders who is not lost a churn warning, also a
  dormant one; "still buying" qualifies the spend drop only.
- potential needs spend in both half-years: (D−360, D−180] > 0 and (D−180, D] ≥ 130 % of it
  (otherwise every first-half-year customer would be "potential" and never "new").
- prospects (no orders) get no tier and no value class ("").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careloop.accounts.models import Team
from careloop.accounts.selectors import users_visible_to
from careloop.accounts.services import audit_record
from careloop.core import clock
from careloop.core.errors import DomainError, PermissionDenied
from careloop.customers.models import Customer, Order, Tag
from careloop.customers.selectors import SAVED_FILTER_FIELDS
from careloop.segments import sql
from careloop.segments.models import SavedSegment, SegmentRun
from careloop.segments.rules import DEFAULT_RULES, SegmentRules

log = logging.getLogger(__name__)

TEMP_TABLES = ("seg_w", "seg_base", "seg_scored", "seg_cpl", "seg_ctc", "seg_churn", "seg_result")
LIFECYCLES = [c.value for c in Customer.Lifecycle]
TIERS = ["A", "B", "C", ""]
VALUE_CLASSES = [c.value for c in Customer.ValueClass]
Progress = Callable[[int, str], None]
# Customer column ← seg_result column, written by the one UPDATE.
WRITTEN = {
    "r_days": "r_days",
    "f_count": "f_count",
    "m_spend": "m_spend",
    "r_score": "r_score",
    "f_score": "f_score",
    "m_score": "m_score",
    "lifecycle": "lifecycle",
    "tier": "tier",
    "value_class": "value_class",
    "churn_risk": "churn_risk",
    "expected_spend_12m": "exp_spend",
    "health": "health",
    "health_reasons": "health_reasons",
}


@dataclass
class SegmentResult:
    as_of: date
    customers: int = 0
    lifecycle: dict[str, int] = field(default_factory=dict)
    tier: dict[str, int] = field(default_factory=dict)
    value_class: dict[str, int] = field(default_factory=dict)
    # "" when both models were fitted, else the reason code from careloop.segments.churn
    # (`gamma_gamma_fallback`: expected spend from each customer's own average order value)
    churn_model: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """The JSON of `careloop segment --json` (DESIGN.md §5); a missing tier is "none"."""
        return {
            "as_of": self.as_of.isoformat(),
            "customers": self.customers,
            "lifecycle": self.lifecycle,
            "tier": {(k or "none"): v for k, v in self.tier.items()},
            "value_class": {(k or "none"): v for k, v in self.value_class.items()},
            "churn_model": self.churn_model or "fitted",
        }


def _params(as_of: date, rules: SegmentRules) -> dict:
    def start(days_back: int):  # first instant of day D − days_back (Asia/Shanghai)
        moment = clock.day_start(as_of - timedelta(days_back))
        return connection.ops.adapt_datetimefield_value(moment)

    half = rules.drop_days
    return {
        "end": connection.ops.adapt_datetimefield_value(clock.day_end(as_of)),
        "w_start": start(rules.window_days - 1),  # (D−365, D] = D−364 … D
        "d_start": start(half - 1),  # (D−90, D]
        "dp_start": start(2 * half - 1),  # (D−180, D−90]
        "p_start": start(rules.potential_days - 1),  # (D−180, D]
        "pp_start": start(2 * rules.potential_days - 1),  # (D−360, D−180]
        "cpl_before": start(rules.complaint_open_days),  # opened on D−8 or earlier
        "ctc_start": start(rules.health_no_contact_days - 1),
        "unhappy_start": start(rules.health_unhappy_days - 1),
        "as_of": connection.ops.adapt_datefield_value(as_of),
    }


def _history_source(as_of: date) -> str:
    """First/last order, count and spend per customer up to the end of D."""
    later = Order.objects.filter(ordered_at__gte=clock.day_end(as_of)).exists()
    if not later:  # the summary on Customer is exactly "up to D"
        return (
            "SELECT id, first_order_at AS first_at, last_order_at AS last_at, order_count AS n,"
            " lifetime_spend AS total FROM customers_customer WHERE first_order_at IS NOT NULL"
        )
    return (
        "SELECT customer_id AS id, MIN(ordered_at) AS first_at, MAX(ordered_at) AS last_at,"
        f" COUNT(*) AS n, SUM(amount) AS total FROM {sql.orders_by_customer()}"
        " WHERE ordered_at < %(end)s GROUP BY customer_id"
    )


def _build_stats(cursor, as_of: date, rules: SegmentRules, p: dict) -> None:
    sql.create_temp(
        cursor,
        "seg_w",
        # ROUND(…, 2): SQLite stores amounts as floating point, and equal spends must stay
        # equal (ties in scores and tiers, "exactly half"); a no-op on PostgreSQL's numeric.
        "SELECT customer_id AS id, COUNT(*) AS f, ROUND(SUM(amount), 2) AS m,"
        " ROUND(SUM(CASE WHEN ordered_at >= %(d_start)s THEN amount ELSE 0 END), 2) AS d,"
        " ROUND(SUM(CASE WHEN ordered_at >= %(dp_start)s AND ordered_at < %(d_start)s"
        "     THEN amount ELSE 0 END), 2) AS dp,"
        " ROUND(SUM(CASE WHEN ordered_at >= %(p_start)s THEN amount ELSE 0 END), 2) AS pot,"
        " ROUND(SUM(CASE WHEN ordered_at >= %(pp_start)s AND ordered_at < %(p_start)s"
        "     THEN amount ELSE 0 END), 2) AS potp"
        f" FROM {sql.orders_by_customer()}"
        " WHERE ordered_at >= %(w_start)s AND ordered_at < %(end)s GROUP BY customer_id",
        p,
    )
    sql.create_temp(
        cursor,
        "seg_base",
        f"SELECT h.id AS id, h.n AS n, h.total AS total,"
        f" {sql.days_before('%(end)s', 'h.last_at')} AS r_days,"
        f" {sql.days_before('%(end)s', 'h.first_at')} AS first_days,"
        " COALESCE(w.f, 0) AS f, COALESCE(w.m, 0) AS m, COALESCE(w.d, 0) AS d,"
        " COALESCE(w.dp, 0) AS dp, COALESCE(w.pot, 0) AS pot, COALESCE(w.potp, 0) AS potp"
        f" FROM ({_history_source(as_of)}) h LEFT JOIN seg_w w ON w.id = h.id",
        p,
    )

    # Quintiles: NTILE(5) over the customers ordered worst → best puts position p (1-based, of
    # n) in bucket (p−1)//(q+1)+1 for the first rem·(q+1) positions, else rem+(p−1−rem·(q+1))//q+1
    # (q = n // 5, rem = n % 5). A tie group takes the bucket of its worst-placed member,
    # p = RANK() worst-first: one sort per measure instead of NTILE's plus a second
    # MIN(…) OVER (PARTITION BY value) pass.
    def tile(p: str) -> str:
        head = "q.rem * (q.n_all / 5 + 1)"
        return (
            f"CASE WHEN {p} <= {head} THEN ({p} - 1) / (q.n_all / 5 + 1) + 1"
            f" ELSE q.rem + ({p} - 1 - {head}) / (q.n_all / 5) + 1 END"
        )

    sql.create_temp(
        cursor,
        "seg_scored",
        f"SELECT q.*, {tile('q.r_pos')} AS r_score, {tile('q.f_pos')} AS f_score,"
        f" {tile('q.m_pos')} AS m_score"
        " FROM (SELECT b.*,"
        "  RANK() OVER (ORDER BY b.r_days DESC) AS r_pos,"
        "  RANK() OVER (ORDER BY b.f) AS f_pos,"
        "  RANK() OVER (ORDER BY b.m) AS m_pos,"
        "  RANK() OVER (ORDER BY b.m DESC) AS m_rank,"
        "  COUNT(*) OVER () AS n_all, COUNT(*) OVER () - 5 * (COUNT(*) OVER () / 5) AS rem,"
        "  SUM(CASE WHEN b.m > 0 THEN 1 ELSE 0 END) OVER () AS spenders"
        "  FROM seg_base b) q",
    )
    sql.create_temp(
        cursor,
        "seg_cpl",
        "SELECT customer_id AS id, COUNT(*) AS n,"
        " SUM(CASE WHEN opened_at < %(cpl_before)s THEN 1 ELSE 0 END) AS old"
        " FROM complaints_complaint WHERE opened_at < %(end)s"
        " AND (status = 'open' OR resolved_at >= %(end)s) GROUP BY customer_id",
        p,
    )
    sql.create_temp(
        cursor,
        "seg_ctc",
        "SELECT customer_id AS id,"
        " SUM(CASE WHEN occurred_at >= %(ctc_start)s THEN 1 ELSE 0 END) AS n,"
        " SUM(CASE WHEN occurred_at >= %(unhappy_start)s AND (nps <= 6 OR csat <= 2)"
        "     THEN 1 ELSE 0 END) AS unhappy"
        " FROM customers_interaction"
        " WHERE occurred_at >= %(lo)s AND occurred_at < %(end)s AND kind <> 'note'"
        " GROUP BY customer_id",
        p | {"lo": min(p["ctc_start"], p["unhappy_start"])},
    )


def _build_churn(cursor, rules: SegmentRules) -> str:
    """P(alive) and 12-month expected spend per customer with orders; '' or why not."""
    import numpy as np  # here, not at import: numpy and scipy cost ~1 s to load

    from careloop.segments import churn

    data = sql.fetch_floats(
        cursor,
        "SELECT id, n - 1, CAST(first_days - r_days AS DOUBLE PRECISION) / 7,"
        " CAST(first_days AS DOUBLE PRECISION) / 7,"
        " CASE WHEN n > 0 THEN CAST(total AS DOUBLE PRECISION) / n ELSE 0 END"
        " FROM seg_base ORDER BY id",
        5,
    )
    cursor.execute("DROP TABLE IF EXISTS seg_churn")
    cursor.execute("CREATE TEMP TABLE seg_churn (id bigint PRIMARY KEY, risk float, spend float)")
    if not len(data):
        return "no_customers"
    ids, x, t_x, T, m = data.T
    # Fit on an evenly spread sample (by id) of at most `churn_fit_sample` customers, then
    # score everyone: with day-level recency few (x, t_x, T) rows are identical, and the
    # likelihood over 86,000 distinct rows took 5 s (a million: about a minute).
    sample = np.unique(np.linspace(0, len(x) - 1, min(len(x), rules.churn_fit_sample)).astype(int))
    try:
        bgnbd = churn.fit_bgnbd(x[sample], t_x[sample], T[sample])
    except churn.ChurnModelError:
        few = np.count_nonzero(x[sample] > 0) < churn.MIN_REPEAT_CUSTOMERS
        return "too_few_repeat_customers" if few else "bgnbd_fit_failed"
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        alive = churn.p_alive(bgnbd, x, t_x, T)
        purchases = churn.expected_purchases(bgnbd, rules.churn_horizon_weeks, x, t_x, T)
    reason = ""
    try:
        gamma_gamma = churn.fit_gamma_gamma(x[sample], m[sample])
        spend = purchases * churn.expected_average_spend(gamma_gamma, x, m)
    except churn.ChurnModelError:
        # Documented fallback (churn.GAMMA_GAMMA_FALLBACK): purchases × own average order value.
        spend, reason = purchases * churn.fallback_average_spend(m), churn.GAMMA_GAMMA_FALLBACK
    risk = np.round(1.0 - alive, 4)
    spend = np.round(spend, 2)

    sql.load_numbers(
        cursor, "seg_churn", ("id", "risk", "spend"), (ids.astype(np.int64), risk, spend)
    )
    return reason


def _reason(code: str, cond: str, key: str | None = None, value: str | None = None) -> str:
    """`,{"code": …, key: value}` when cond holds, else '' (joined and wrapped in [ ] as the
    JSON list). Codes and keys are constants of `careloop.segments.reasons`, put into words
    (through gettext) when shown, not here."""
    if key is None:
        return f"CASE WHEN {cond} THEN ',{{\"code\":\"{code}\"}}' ELSE '' END"
    head = f',{{"code":"{code}","{key}":'
    return f"CASE WHEN {cond} THEN '{head}' || CAST({value} AS TEXT) || '}}' ELSE '' END"


def _build_result(cursor, rules: SegmentRules, p: dict) -> None:
    r = rules
    drop_pct = "CAST(ROUND(100 * (s.dp - s.d) / s.dp) AS INTEGER)"
    layer1 = (
        "SELECT c.id AS id, s.id AS sid, s.r_days AS r_days, COALESCE(s.f, 0) AS f_count,"
        " ROUND(COALESCE(s.m, 0), 2) AS m_spend,"
        " s.r_score AS r_score, s.f_score AS f_score, s.m_score AS m_score,"
        " s.first_days AS first_days, s.pot AS pot, s.potp AS potp,"
        " COALESCE(k.n, 0) AS complaints, COALESCE(t.n, 0) AS contacts,"
        " COALESCE(t.unhappy, 0) AS unhappy, ch.risk AS churn_risk, ch.spend AS exp_spend,"
        " CASE WHEN s.dp > 0 AND s.d < s.dp THEN " + drop_pct + " ELSE 0 END AS drop_pct,"
        # lifecycle: the first that holds (DESIGN.md §3)
        " CASE WHEN s.id IS NULL THEN 'prospect'"
        f" WHEN s.r_days >= {r.lost_days} THEN 'lost'"
        f" WHEN (s.r_days < {r.active_days} AND s.dp > 0"
        f"       AND s.d * 100 <= s.dp * {r.drop_ratio_pct})"
        "      OR COALESCE(k.old, 0) > 0 THEN 'churn_warning'"
        f" WHEN s.first_days < {r.new_days} THEN 'new'"
        f" WHEN s.r_days < {r.active_days} THEN 'active'"
        " ELSE 'dormant' END AS lifecycle,"
        # tier by rank of spend among customers with spend
        " CASE WHEN s.m > 0 THEN CASE"
        f"  WHEN 100 * (s.m_rank - 1) < {r.tier_a_pct} * s.spenders THEN 'A'"
        f"  WHEN 100 * (s.m_rank - 1) < {r.tier_a_pct + r.tier_b_pct} * s.spenders THEN 'B'"
        "  ELSE 'C' END ELSE '' END AS tier"
        " FROM customers_customer c"
        " LEFT JOIN seg_scored s ON s.id = c.id"
        " LEFT JOIN seg_cpl k ON k.id = c.id"
        " LEFT JOIN seg_ctc t ON t.id = c.id"
        " LEFT JOIN seg_churn ch ON ch.id = c.id"
    )
    penalties = (
        f"(CASE WHEN sid IS NULL THEN {r.health_prospect}"
        f" WHEN r_days >= 365 THEN {r.health_recency_max}"
        f" ELSE r_days * {r.health_recency_max} / 365 END)"
        f" + (drop_pct * {r.health_drop_max} + 50) / 100"
        f" + (CASE WHEN contacts = 0 THEN {r.health_no_contact} ELSE 0 END)"
        f" + (CASE WHEN complaints * {r.health_complaint_each} > {r.health_complaint_max}"
        f"   THEN {r.health_complaint_max} ELSE complaints * {r.health_complaint_each} END)"
        f" + (CASE WHEN unhappy > 0 THEN {r.health_unhappy} ELSE 0 END)"
        # emotion: 0 until the emotion analysis of contacts supplies its penalty
        " + 0"
    )
    reasons = [
        _reason("complaints", "complaints > 0", "n", "complaints"),
        _reason("recency", f"r_days >= {r.health_recency_reason_days}", "days", "r_days"),
        _reason("spend_drop", f"drop_pct >= {r.health_drop_reason_pct}", "pct", "drop_pct"),
        _reason("unhappy", "unhappy > 0"),
        _reason("no_contact", "contacts = 0", "days", str(int(r.health_no_contact_days))),
        _reason("no_orders", "sid IS NULL"),
    ]
    reasons_json = sql.as_json("'[' || SUBSTR(" + " || ".join(reasons) + ", 2) || ']'")
    select = (
        "SELECT id, r_days, f_count, m_spend, r_score, f_score, m_score, lifecycle, tier,"
        " CASE WHEN sid IS NULL THEN ''"
        "  WHEN tier = 'A' THEN 'core'"
        f"  WHEN potp > 0 AND pot * 100 >= potp * {r.potential_ratio_pct} THEN 'potential'"
        f"  WHEN first_days < {r.new_class_days} THEN 'new'"
        "  WHEN lifecycle = 'lost' THEN 'lost'"
        "  ELSE 'regular' END AS value_class,"
        " churn_risk, exp_spend,"
        f" CASE WHEN {penalties} >= 100 THEN 0 ELSE 100 - ({penalties}) END AS health,"
        f" {reasons_json} AS health_reasons"
        f" FROM ({layer1}) l1"
        # In id order, the customers' order on disk: the UPDATE probes the hashed customers
        # with these rows and the snapshot INSERT fills its (as_of, customer) index with them,
        # so both go page by page rather than in the order of whichever side a join hashed
        # (free on PostgreSQL: the plan merges on the primary key).
        " ORDER BY id"
    )
    sql.create_temp(cursor, "seg_result", select, p)


def _count(result: SegmentResult, cursor) -> None:
    """Customers per lifecycle stage, tier and value class: one pass over seg_result (at most
    6 × 4 × 6 groups) instead of one per column."""
    cursor.execute(
        "SELECT lifecycle, tier, value_class, COUNT(*) FROM seg_result"
        " GROUP BY lifecycle, tier, value_class"
    )
    result.lifecycle = dict.fromkeys(LIFECYCLES, 0)
    result.tier = dict.fromkeys(TIERS, 0)
    result.value_class = dict.fromkeys([*VALUE_CLASSES, ""], 0)
    for lifecycle, tier, value_class, n in cursor.fetchall():
        result.lifecycle[lifecycle] = result.lifecycle.get(lifecycle, 0) + n
        result.tier[tier] = result.tier.get(tier, 0) + n
        result.value_class[value_class] = result.value_class.get(value_class, 0) + n
    result.customers = sum(result.lifecycle.values())


# The indexes on the segment columns of customers_customer. A night where few customers change
# stage keeps them (an UPDATE that changes no indexed column is HOT on PostgreSQL: no index
# entry at all); see `_mass_move` for the first run after a bulk import.
SEGMENT_INDEXES = ("customer_lifecycle_id", "customer_tier_id", "customer_value_class_id")
MASS_MOVE_MIN = 50_000  # customers


def _stages_move(cursor, result: SegmentResult) -> int:
    """At least how many customers change lifecycle stage: half the sum of the differences
    between the stored and the new count per stage (one count over the lifecycle index)."""
    cursor.execute("SELECT lifecycle, COUNT(*) FROM customers_customer GROUP BY lifecycle")
    stored = dict(cursor.fetchall())
    stages = set(stored) | set(result.lifecycle)
    return sum(abs(stored.get(k, 0) - result.lifecycle.get(k, 0)) for k in stages) // 2


def _mass_move(result: SegmentResult) -> int:
    """Above this many stage changes (the first run after a bulk import: every buyer leaves
    "prospect") the segment indexes are dropped for the UPDATE and built again after it, in
    the same transaction: on PostgreSQL an UPDATE that changes an indexed column adds an entry
    to every index of the table for the row (~15 here), 0.35 ms a row at 1M customers (300 s),
    while building the three indexes again takes seconds. The table is locked for the
    write (ACCESS EXCLUSIVE) instead of rows only."""
    return max(MASS_MOVE_MIN, result.customers // 10)


def segment_customers(
    *, as_of: date, progress: Progress | None = None, rules: SegmentRules = DEFAULT_RULES
) -> SegmentResult:
    """Segment every customer as of D; store current values and D's snapshot (idempotent per D).

    `progress(percent, step)` is called between the steps (the run page shows it)."""
    started = time.monotonic()
    report = progress or (lambda pct, step: None)
    p = _params(as_of, rules)
    result = SegmentResult(as_of=as_of)
    with (
        connection.cursor() as cursor,
        sql.temp_on_disk(cursor),
        sql.tuned(cursor),
    ):
        try:
            maintenance = sql.refresh_statistics(
                cursor, ("customers_customer",), vacuum=("customers_order",)
            )
            if maintenance:
                log.info("segment.refresh_statistics", extra={"done": maintenance})
            report(5, "orders")
            _build_stats(cursor, as_of, rules, p)
            report(40, "churn")
            result.churn_model = _build_churn(cursor, rules)
            report(60, "segments")
            _build_result(cursor, rules, p)
            _count(result, cursor)
            report(75, "write")
            with transaction.atomic():
                sets = ", ".join(f"{c} = x.{v}" for c, v in WRITTEN.items())
                pairs = [(f"customers_customer.{c}", f"x.{v}") for c, v in WRITTEN.items()]
                pairs.append(("customers_customer.segmented_as_of", "%(as_of)s"))
                with sql.indexes_dropped(
                    cursor, SEGMENT_INDEXES, when=_stages_move(cursor, result) > _mass_move(result)
                ):
                    cursor.execute(
                        f"UPDATE customers_customer SET {sets}, segmented_as_of = %(as_of)s"
                        " FROM seg_result AS x WHERE customers_customer.id = x.id"
                        f" AND {sql.changed(pairs)}",  # unchanged rows are not written
                        {"as_of": p["as_of"]},
                    )
                report(90, "snapshot")
                cursor.execute(
                    "DELETE FROM segments_segmentsnapshot WHERE as_of = %(as_of)s",
                    {"as_of": p["as_of"]},
                )
                cursor.execute(
                    "INSERT INTO segments_segmentsnapshot"
                    " (customer_id, as_of, lifecycle, tier, value_class)"
                    " SELECT id, %(as_of)s, lifecycle, tier, value_class FROM seg_result",
                    {"as_of": p["as_of"]},
                )
        finally:
            sql.drop_temp(cursor, *TEMP_TABLES)
    result.seconds = round(time.monotonic() - started, 3)
    report(100, "done")
    log.info(
        "segment.done",
        extra={"as_of": as_of.isoformat(), "customers": result.customers, "s": result.seconds},
    )
    return result


# Runs: the nightly job and a supervisor's on-demand run, with progress for the run page.


def segment_run_start(*, as_of: date | None = None, started_by=None) -> SegmentRun:
    """Queue a run; the job starts after commit."""
    from careloop.segments import tasks

    run = SegmentRun.objects.create(as_of=as_of or clock.today(), started_by=started_by)
    transaction.on_commit(lambda: tasks.segment_run_job(run.pk))
    return run


def segment_run_execute(*, run_id: int) -> SegmentRun:
    """Carry out a queued run, writing its progress as it goes (safe to call twice)."""
    run = SegmentRun.objects.get(pk=run_id)
    if run.status in {SegmentRun.Status.RUNNING, SegmentRun.Status.DONE}:
        return run

    def progress(pct: int, step: str) -> None:
        SegmentRun.objects.filter(pk=run.pk).update(progress=pct, step=step)

    SegmentRun.objects.filter(pk=run.pk).update(
        status=SegmentRun.Status.RUNNING, started_at=timezone.now()
    )
    try:
        result = segment_customers(as_of=run.as_of, progress=progress)
    except (DatabaseError, ValueError) as exc:  # recorded on the run, then re-raised
        SegmentRun.objects.filter(pk=run.pk).update(
            status=SegmentRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    SegmentRun.objects.filter(pk=run.pk).update(
        status=SegmentRun.Status.DONE,
        progress=100,
        counts=result.to_dict(),
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


# Saved segments (保存的分群): a supervisor's named filters, used by the customer list, exports,
# care rules and campaigns through `selectors.saved_segment_customers`.

SAVED_SEGMENT_AUDIT = {
    "segment.create": gettext_lazy("保存分群"),
    "segment.update": gettext_lazy("修改分群"),
    "segment.delete": gettext_lazy("删除分群"),
}
_TEXT_FILTERS = {"q": 64, "region": 32, "city": 32, "industry": 32, "tag": 32}
_FILTER_LABELS = {
    "q": gettext_lazy("搜索"),
    "region": gettext_lazy("地区"),
    "city": gettext_lazy("城市"),
    "industry": gettext_lazy("行业"),
    "gender": gettext_lazy("性别"),
    "owner": gettext_lazy("负责人"),
    "tag": gettext_lazy("标签"),
    "team": gettext_lazy("团队"),
    "do_not_contact": gettext_lazy("免打扰"),
    "lifecycle": gettext_lazy("生命周期"),
    "tier": gettext_lazy("价值等级"),
    "value_class": gettext_lazy("价值类别"),
}
_CHOICE_FILTERS = {
    "gender": ("M", "F", "none"),
    "lifecycle": tuple(Customer.Lifecycle.values),
    "tier": ("A", "B", "C", "none"),
    "value_class": tuple(Customer.ValueClass.values),
}


class SegmentNotEditable(PermissionDenied):
    code = "segment_not_editable"


class SegmentInUse(DomainError):
    code, status = "segment_in_use", 409


def _bad(key: str, message: str) -> DomainError:
    return DomainError(message, field=f"filters.{key}")


def _clean_value(key: str, value, *, actor, team: Team | None):
    """One filter value as stored, or a DomainError naming `filters.<key>`."""
    label = _FILTER_LABELS[key]
    if key in _TEXT_FILTERS:
        if not isinstance(value, str) or len(value.strip()) > _TEXT_FILTERS[key]:
            raise _bad(
                key,
                _("%(label)s 应为不超过 %(n)s 个字的文字")
                % {"label": label, "n": _TEXT_FILTERS[key]},
            )
        value = value.strip()
        if key == "tag" and value and not Tag.objects.filter(name=value).exists():
            raise _bad(key, _("标签不存在:%(value)s") % {"value": value})
        return value
    if key in _CHOICE_FILTERS:
        if value not in ("", *_CHOICE_FILTERS[key]):
            raise _bad(key, _("%(label)s 的取值无效:%(value)s") % {"label": label, "value": value})
        return value
    if key == "do_not_contact":
        if value is not None and not isinstance(value, bool):
            raise _bad(key, _("免打扰 应为 true、false 或 null"))
        return value
    # owner, team: ids
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(key, _("%(label)s 应为编号(整数)") % {"label": label})
    if key == "owner":
        if not users_visible_to(actor).filter(pk=value).exists():
            raise _bad(key, _("负责人不存在或不在你的团队:%(value)s") % {"value": value})
        return value
    if not Team.objects.filter(pk=value).exists() or (team is not None and value != team.pk):
        raise _bad(key, _("团队不存在或不属于该分群的团队:%(value)s") % {"value": value})
    return value


def saved_segment_clean_filters(*, actor, filters: dict, team: Team | None) -> dict:
    """The filters to store: known keys with a value (empty ones dropped), each checked; an
    unknown key or a bad value is refused with the field named (`filters.region`)."""
    if not isinstance(filters, dict):
        raise DomainError(_("筛选条件应为对象"), field="filters")
    unknown = sorted(set(filters) - set(SAVED_FILTER_FIELDS))
    if unknown:
        raise _bad(unknown[0], _("未知的筛选条件:%(field)s") % {"field": unknown[0]})
    cleaned = {}
    for key in SAVED_FILTER_FIELDS:  # stored in one order, so equal filters compare equal
        if key in filters:
            value = _clean_value(key, filters[key], actor=actor, team=team)
            if value not in ("", None):
                cleaned[key] = value
    return cleaned


def _may_save(actor) -> None:
    if not (actor.is_admin or (actor.is_supervisor and actor.team_id)):
        raise PermissionDenied(_("只有主管和管理员可以保存分群"))


def _clean_name(name: str, *, team: Team | None, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写分群名称"), field="name")
    if len(name) > 64:
        raise DomainError(_("分群名称不能超过 64 个字"), field="name")
    same = SavedSegment.objects.filter(name=name, team=team).exclude(pk=exclude)
    if same.exists():
        raise DomainError(_("已有同名分群:%(name)s") % {"name": name}, field="name")
    return name


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > 255:
        raise DomainError(_("说明不能超过 255 个字"), field="description")
    return description


def _described(segment: SavedSegment) -> dict:
    return {"name": segment.name, "filters": segment.filters}


def _save_audited(segment: SavedSegment, *, actor, action: str, detail: dict) -> SavedSegment:
    segment.full_clean()
    segment.save()
    audit_record(actor=actor, action=action, target=segment, detail=detail)
    return segment


@transaction.atomic
def saved_segment_create(
    *,
    actor,
    name: str,
    filters: dict,
    description: str = "",
    team: Team | None = None,
) -> SavedSegment:
    """Save filters under a name. A supervisor's segment belongs to their team (its customers
    only); an admin's is global unless a `team` is given."""
    _may_save(actor)
    if not actor.is_admin:
        team = actor.team
    segment = SavedSegment(
        name=_clean_name(name, team=team),
        description=_clean_description(description),
        filters=saved_segment_clean_filters(actor=actor, filters=filters, team=team),
        owner=actor,
        team=team,
    )
    return _save_audited(segment, actor=actor, action="segment.create", detail=_described(segment))


@transaction.atomic
def saved_segment_update(
    *,
    actor,
    segment: SavedSegment,
    name: str | None = None,
    filters: dict | None = None,
    description: str | None = None,
) -> SavedSegment:
    """Change the name, description or filters (all or nothing); the team stays."""
    segment = (
        SavedSegment.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=segment.pk)
    )
    if not segment.is_editable_by(actor):
        raise SegmentNotEditable(_("无权修改该分群"))
    before = _described(segment)
    if name is not None:
        segment.name = _clean_name(name, team=segment.team, exclude=segment.pk)
    if description is not None:
        segment.description = _clean_description(description)
    if filters is not None:
        segment.filters = saved_segment_clean_filters(
            actor=actor, filters=filters, team=segment.team
        )
    detail = {"before": before, "after": _described(segment)}
    return _save_audited(segment, actor=actor, action="segment.update", detail=detail)


def _used_by(segment: SavedSegment) -> list[str]:
    """What still points at the segment (care rules, campaigns …), by verbose name. Deleting
    under a rule would turn its audience into everyone (SET_NULL), so any use refuses."""
    users = []
    for relation in SavedSegment._meta.related_objects:
        if relation.one_to_many and getattr(segment, relation.get_accessor_name()).exists():
            users.append(str(relation.related_model._meta.verbose_name))
    return users


@transaction.atomic
def saved_segment_delete(*, actor, segment: SavedSegment) -> None:
    """Delete a segment; refused while a care rule or campaign still uses it."""
    if not segment.is_editable_by(actor):
        raise SegmentNotEditable(_("无权删除该分群"))
    if users := _used_by(segment):
        raise SegmentInUse(
            _("分群“%(name)s”正被%(users)s使用,不能删除")
            % {"name": segment.name, "users": "、".join(users)}
        )
    detail = _described(segment)
    target_id = str(segment.pk)
    try:
        with transaction.atomic():
            segment.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise SegmentInUse(
            _("分群“%(name)s”正被关怀规则或活动使用,不能删除") % {"name": segment.name}
        ) from exc
    audit_record(
        actor=actor,
        action="segment.delete",
        target_type="savedsegment",
        target_id=target_id,
        detail=detail,
    )
