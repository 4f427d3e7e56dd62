"""Every number of the segment definitions (DESIGN.md §3 "Segments") in one place.

Days are Asia/Shanghai calendar days as of D: "within 60 days" means the last order was 0–59
days before D; the window (D−90, D] is the 90 days D−89 … D."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentRules:
    # RFM: F and M count the last `window_days`; scores are quintiles over customers with orders.
    window_days: int = 365
    # Lifecycle (first that holds): prospect, lost, churn_warning, new, active, dormant.
    lost_days: int = 365  # last order this many days ago or more → lost
    active_days: int = 60  # last order fewer days ago → still buying (active / churn_warning)
    new_days: int = 90  # first order fewer days ago → new
    drop_days: int = 90  # spend in (D−90, D] vs (D−180, D−90]
    drop_ratio_pct: int = 50  # "at most half": recent × 100 ≤ previous × 50
    complaint_open_days: int = 7  # a complaint open MORE than this many days → churn_warning
    # Value tier by rank of spend in the window, among customers with spend > 0.
    tier_a_pct: int = 20
    tier_b_pct: int = 30  # the next 30 % (so ranks up to 50 %)
    # Value class (seed 003).
    potential_days: int = 180  # spend in (D−180, D] vs (D−360, D−180]
    potential_ratio_pct: int = 130
    new_class_days: int = 180
    # Health 0–100: 100 minus penalties, each with a reason shown on the 360 page.
    health_recency_max: int = 40  # grows linearly with days since the last order, full at 365
    health_prospect: int = 20  # never ordered
    health_drop_max: int = 15  # × share of the spend lost in (D−90, D] vs the 90 days before
    health_drop_reason_pct: int = 30  # a drop this large is named as a reason
    health_recency_reason_days: int = 60
    health_no_contact_days: int = 90
    health_no_contact: int = 10
    health_complaint_each: int = 15
    health_complaint_max: int = 30
    health_unhappy_days: int = 90  # NPS ≤ 6 or CSAT ≤ 2 in this many days
    health_unhappy: int = 15
    # Churn: BG/NBD horizon in weeks for the expected 12-month spend.
    churn_horizon_weeks: float = 52.0
    churn_fit_sample: int = 10000  # customers the models are fitted on (evenly spread by id)


DEFAULT_RULES = SegmentRules()
