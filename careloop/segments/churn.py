"""Churn risk (流失风险): BG/NBD for "still alive?" and Gamma-Gamma for spend, pure numpy/scipy.

Two published models, fitted by maximum likelihood on per-customer summaries:

- **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
  customer buys at a Poisson rate λ ~ Gamma(r, α); after each repeat purchase they drop out
  with probability p ~ Beta(a, b). Gives P(alive) and the expected purchases in the next t
  periods (the paper's eq. 10).
- **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang 1999; Fader &
  Hardie's note "The Gamma-Gamma Model of Monetary Value"): the average spend per repeat
  purchase, shrunk towards the population mean when a customer has few purchases.

Everything is vectorised over arrays of customers; nothing here touches the database, so the
segment job computes the summaries in SQL and passes arrays in. Identical rows are compressed
to one row with a weight before fitting (`compress`), which makes a million customers a few
hundred thousand distinct rows or fewer, fitted in seconds.

What each customer needs, as of day D (days in the company's time zone; divide by 7 for weeks,
the unit the papers and the published CDNOW estimates use). Orders on the same day count as
one purchase (as in the CDNOW data), and only orders on or before D count:

- ``frequency`` x = number of distinct order days − 1 (repeat purchases; 0 for a one-time buyer)
- ``recency`` t_x = (last order day − first order day) / 7 (0 when x = 0)
- ``T`` = (D − first order day) / 7, the customer's age
- ``monetary`` = the mean spend per repeat purchase day, i.e. (spend on or before D − spend on
  the first order day) / x; 0 when x = 0 (not used for them)

In SQL, one pass over the covering index on orders (customer, ordered_at, amount), e.g.::

    SELECT customer_id,
           COUNT(DISTINCT order_day) - 1                               AS frequency,
           (MAX(order_day) - MIN(order_day)) / 7.0                     AS recency,
           (:as_of_day - MIN(order_day)) / 7.0                         AS "T",
           (SUM(amount) - SUM(amount) FILTER (WHERE order_day = first_day))
             / NULLIF(COUNT(DISTINCT order_day) - 1, 0)                AS monetary
    FROM (SELECT customer_id, amount, <local day number of ordered_at> AS order_day,
                 MIN(<local day number>) OVER (PARTITION BY customer_id) AS first_day
          FROM customers_order WHERE ordered_at < :end_of_as_of_day) o
    GROUP BY customer_id

When D is today the per-customer summary columns on Customer (first_order_at, last_order_at,
order_count, lifetime_spend) give a close approximation without reading orders: x = order_count
− 1, t_x = days(last − first) / 7, T = days(D − first) / 7, monetary ≈ lifetime_spend /
order_count (this counts same-day orders separately and averages the first order in; fine for a
risk score, not for reproducing the papers). `summary_from_orders` is the same computation in
numpy, used by the tests on the raw CDNOW transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from django.utils.translation import gettext_lazy as _
from scipy import optimize, special

# Fewer customers with repeat purchases than this and the fit says nothing useful.
MIN_REPEAT_CUSTOMERS = 20
DAYS_PER_WEEK = 7.0
_LOG_BOUND = 15.0  # parameters are fitted as logs within ±15 (3e-7 .. 3e6)


class ChurnModelError(ValueError):
    """The data cannot identify the model (too few repeat buyers) or the optimiser failed."""


class BgNbdParams(NamedTuple):
    r: float
    alpha: float
    a: float
    b: float


class GammaGammaParams(NamedTuple):
    p: float
    q: float
    v: float


class OrderSummary(NamedTuple):
    """Per customer, sorted by customer: the BG/NBD statistics in `unit_days` periods."""

    customer: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray


@dataclass(frozen=True)
class ChurnScores:
    """One value per customer, in the order given; NaN where the model could not be fitted.

    `reason_code` is "" when both models were fitted, else `too_few_repeat_customers` or
    `bgnbd_fit_failed` (every value NaN), or `gamma_gamma_fallback` (Gamma-Gamma could not be
    fitted: expected_spend from each customer's own mean spend, see `fallback_average_spend`);
    `reason` says it in Chinese for the page (a lazy translation: str() it where shown).
    """

    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend: np.ndarray
    bgnbd: BgNbdParams | None
    gamma_gamma: GammaGammaParams | None
    reason_code: str = ""
    reason: str = ""  # or a lazy translation


# ---------------------------------------------------------------- data preparation


def _as_arrays(*columns) -> list[np.ndarray]:
    arrays = [np.asarray(c, dtype=float).ravel() for c in columns]
    if len({len(a) for a in arrays}) > 1:
        raise ValueError("all columns must have the same length")
    return arrays


def _weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float).ravel()
    if len(w) != n or np.any(w < 0):
        raise ValueError("weights must be non-negative, one per row")
    return w


def _check_bgnbd_data(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t_x)) and np.all(np.isfinite(T))):
        raise ValueError("frequency, recency and T must be finite")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a whole number of repeat purchases ≥ 0")
    if np.any(t_x < 0) or np.any(t_x > T * (1 + 1e-9) + 1e-9):
        raise ValueError("recency must lie in [0, T]")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("recency must be 0 for customers without repeat purchases")


def compress(*columns, weights=None) -> tuple[list[np.ndarray], np.ndarray]:
    """Identical rows (e.g. (x, t_x, T)) become one row whose weight is the sum of theirs."""
    arrays = _as_arrays(*columns)
    w = _weights(weights, len(arrays[0]))
    if not len(w):
        return arrays, w
    stacked = np.column_stack(arrays)
    order = np.lexsort(stacked.T[::-1])
    stacked, w = stacked[order], w[order]
    starts = np.concatenate([[True], np.any(stacked[1:] != stacked[:-1], axis=1)])
    first = np.flatnonzero(starts)
    return list(stacked[first].T), np.add.reduceat(w, first)


def summary_from_orders(
    customer, day, amount, *, as_of_day: float, unit_days: float = DAYS_PER_WEEK
) -> OrderSummary:
    """(x, t_x, T, mean repeat spend) per customer from their orders, as in the module docstring.

    `day` is a whole day number in the company's time zone (e.g. ``date.toordinal()``); orders
    after `as_of_day` are ignored and same-day orders are one purchase with their amounts
    summed. Customers come back sorted by id.
    """
    customer, day, amount = (np.asarray(c).ravel() for c in (customer, day, amount))
    keep = day <= as_of_day
    customer, day, amount = customer[keep], day[keep].astype(float), amount[keep].astype(float)
    order = np.lexsort((day, customer))
    customer, day, amount = customer[order], day[order], amount[order]
    # one row per (customer, day), amounts summed
    new_day = np.concatenate([[True], (customer[1:] != customer[:-1]) | (day[1:] != day[:-1])])
    starts = np.flatnonzero(new_day)
    customer, day, amount = customer[starts], day[starts], np.add.reduceat(amount, starts)
    # per customer: first and last day, purchase days, spend
    new_cust = np.concatenate([[True], customer[1:] != customer[:-1]])
    firsts = np.flatnonzero(new_cust)
    lasts = np.concatenate([firsts[1:], [len(customer)]]) - 1
    x = (lasts - firsts).astype(float)
    total = np.add.reduceat(amount, firsts) if len(firsts) else np.zeros(0)
    repeat_spend = total - amount[firsts]
    monetary = np.divide(repeat_spend, x, out=np.zeros_like(x), where=x > 0)
    return OrderSummary(
        customer=customer[firsts],
        frequency=x,
        recency=(day[lasts] - day[firsts]) / unit_days,
        T=(as_of_day - day[firsts]) / unit_days,
        monetary=monetary,
    )


# ---------------------------------------------------------------- BG/NBD


def _bgnbd_terms(theta: np.ndarray, x, t_x, T, w, *, gradient: bool):
    """Weighted mean log-likelihood (and its gradient in log-parameters) on summary rows."""
    r, alpha, a, b = np.exp(theta)
    repeat = x > 0
    log_at, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    bx1 = np.where(repeat, b + x - 1, 1.0)  # b + x − 1 appears only for x > 0
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - special.betaln(a, b)
    a3 = -(r + x) * log_at
    a4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * log_atx, -np.inf)
    d = np.logaddexp(a3, a4)
    total = w.sum()
    ll = np.dot(w, a1 + a2 + d) / total
    if not gradient:
        return ll
    s3 = np.exp(a3 - d)
    s4 = 1.0 - s3  # exactly 0 where x = 0
    dig = special.digamma
    d_r = dig(r + x) - dig(r) + np.log(alpha) - s3 * log_at - s4 * log_atx
    d_alpha = r / alpha - (r + x) * (s3 / (alpha + T) + s4 / (alpha + t_x))
    dab = dig(a + b) - dig(a + b + x)
    d_a = dab + s4 / a
    d_b = dig(b + x) - dig(b) + dab - s4 / bx1
    grad = np.array([np.dot(w, g) for g in (d_r, d_alpha, d_a, d_b)]) / total
    return ll, grad * np.array([r, alpha, a, b])


def bgnbd_log_likelihood(params: BgNbdParams, frequency, recency, T, *, weights=None) -> float:
    """The total BG/NBD log-likelihood of the data (the paper's −9582.4 on CDNOW)."""
    x, t_x, T = _as_arrays(frequency, recency, T)
    w = _weights(weights, len(x))
    theta = np.log(np.asarray(params, dtype=float))
    return float(_bgnbd_terms(theta, x, t_x, T, w, gradient=False) * w.sum())


def _maximise(fun, starts: list[np.ndarray]) -> np.ndarray:
    """Maximise a mean log-likelihood over log-parameters; best of the starts that work."""
    best = None
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(starts[0])
    for start in starts:
        with np.errstate(all="ignore"):
            res = optimize.minimize(
                lambda th: tuple(-v for v in fun(th)),
                start,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 500, "ftol": 1e-12, "gtol": 1e-8},
            )
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
        if best is not None and best.success:
            break
    if best is None or not np.isfinite(best.fun):
        raise ChurnModelError("the likelihood could not be maximised")
    return best.x


def fit_bgnbd(frequency, recency, T, *, weights=None) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters; `weights` counts identical (x, t_x, T) rows.

    Rows are compressed to distinct triples first, so repeated rows cost nothing. Raises
    ChurnModelError when fewer than MIN_REPEAT_CUSTOMERS (weighted) rows have x > 0.
    """
    x, t_x, T = _as_arrays(frequency, recency, T)
    _check_bgnbd_data(x, t_x, T)
    (x, t_x, T), w = compress(x, t_x, T, weights=weights)
    keep = w > 0
    x, t_x, T, w = x[keep], t_x[keep], T[keep], w[keep]
    if w[x > 0].sum() < MIN_REPEAT_CUSTOMERS:
        raise ChurnModelError("too few customers with repeat purchases to fit BG/NBD")
    # A start that scales with the data: α ~ the mean age over the mean purchase count.
    mean_x = np.dot(w, x) / w.sum()
    mean_T = max(np.dot(w, T) / w.sum(), 1e-6)
    alpha0 = mean_T / max(mean_x, 1e-3)
    starts = [np.log([1.0, alpha0, 1.0, 1.0]), np.log([0.5, alpha0 / 2, 0.5, 2.0])]
    theta = _maximise(lambda th: _bgnbd_terms(th, x, t_x, T, w, gradient=True), starts)
    return BgNbdParams(*(float(v) for v in np.exp(theta)))


def p_alive(params: BgNbdParams, frequency, recency, T) -> np.ndarray:
    """P(still alive | x, t_x, T); exactly 1 for customers without repeat purchases."""
    x, t_x, T = _as_arrays(frequency, recency, T)
    return 1.0 / (1.0 + _dropout_odds(params, x, t_x, T))


def _dropout_odds(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x): the odds of having dropped out."""
    r, alpha, a, b = params
    repeat = x > 0
    bx1 = np.where(repeat, b + x - 1, 1.0)
    with np.errstate(over="ignore"):
        log_odds = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return np.where(repeat, np.exp(log_odds), 0.0)


def expected_purchases(params: BgNbdParams, t, frequency, recency, T) -> np.ndarray:
    """E[purchases in the next t periods | x, t_x, T] (the paper's eq. 10).

    The hypergeometric term is taken through Euler's transformation,
    (1−z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z) = (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z),
    which stays finite for customers with hundreds of purchases.
    """
    r, alpha, a, b = params
    if abs(a - 1.0) < 1e-8:  # the formula has a removable singularity at a = 1
        a = 1.0 + 1e-8
    x, t_x, T = _as_arrays(frequency, recency, T)
    t = np.asarray(t, dtype=float)
    one_minus_z = (alpha + T) / (alpha + T + t)
    c = a + b + x - 1
    f = special.hyp2f1(a + b - 1 - r, a - 1, c, 1.0 - one_minus_z)
    head = c / (a - 1) * (1.0 - one_minus_z ** (a - 1) * f)
    return head / (1.0 + _dropout_odds(BgNbdParams(r, alpha, a, b), x, t_x, T))


def expected_purchases_new_customer(params: BgNbdParams, t) -> np.ndarray:
    """E[X(t)] for a customer just acquired (the paper's eq. 9): the population curve."""
    r, alpha, a, b = params
    if abs(a - 1.0) < 1e-8:
        a = 1.0 + 1e-8
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    f = special.hyp2f1(r, b, a + b - 1, z)
    return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * f)


# ---------------------------------------------------------------- Gamma-Gamma


def _gamma_gamma_terms(theta: np.ndarray, x, m, w, *, gradient: bool):
    p, q, v = np.exp(theta)
    px = p * x
    log_vxm = np.log(v + x * m)
    ll_i = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_vxm
    )
    total = w.sum()
    ll = np.dot(w, ll_i) / total
    if not gradient:
        return ll
    dig = special.digamma
    dig_pxq = dig(px + q)
    d_p = x * (dig_pxq - dig(px) + np.log(m) + np.log(x) - log_vxm)
    d_q = dig_pxq - dig(q) + np.log(v) - log_vxm
    d_v = q / v - (px + q) / (v + x * m)
    grad = np.array([np.dot(w, g) for g in (d_p, d_q, d_v)]) / total
    return ll, grad * np.array([p, q, v])


def fit_gamma_gamma(frequency, monetary_value, *, weights=None) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters on the rows with x > 0 and spend > 0.

    `monetary_value` is the mean spend of the customer's x repeat purchases. Raises
    ChurnModelError with fewer than MIN_REPEAT_CUSTOMERS such rows, or when the fit gives
    q ≤ 1 (then the population mean spend is infinite and no expectation exists).
    """
    x, m = _as_arrays(frequency, monetary_value)
    w = _weights(weights, len(x))
    keep = (x > 0) & (m > 0) & np.isfinite(m) & (w > 0)
    (x, m), w = compress(x[keep], m[keep], weights=w[keep])
    if w.sum() < MIN_REPEAT_CUSTOMERS:
        raise ChurnModelError("too few customers with repeat purchases to fit Gamma-Gamma")
    # Start from the moments of the mean spend: E[m] ≈ pv/(q−1), with p and q moderate.
    mean_m = np.dot(w, m) / w.sum()
    starts = [np.log([1.0, 2.0, mean_m]), np.log([5.0, 4.0, 2.0 * mean_m])]
    theta = _maximise(lambda th: _gamma_gamma_terms(th, x, m, w, gradient=True), starts)
    params = GammaGammaParams(*(float(v) for v in np.exp(theta)))
    if params.q <= 1.0:
        raise ChurnModelError("Gamma-Gamma fit has q ≤ 1: mean spend is not finite")
    return params


def gamma_gamma_log_likelihood(
    params: GammaGammaParams, frequency, monetary_value, *, weights=None
) -> float:
    x, m = _as_arrays(frequency, monetary_value)
    w = _weights(weights, len(x))
    theta = np.log(np.asarray(params, dtype=float))
    return float(_gamma_gamma_terms(theta, x, m, w, gradient=False) * w.sum())


def expected_average_spend(params: GammaGammaParams, frequency, monetary_value) -> np.ndarray:
    """E[spend per purchase | x, mean spend]: p(v + x·m)/(p·x + q − 1).

    A weighted average of the population mean pv/(q−1) and the customer's own mean; with
    x = 0 it is the population mean.
    """
    p, q, v = params
    x, m = _as_arrays(frequency, monetary_value)
    m = np.where(x > 0, m, 0.0)
    return p * (v + x * m) / (p * x + q - 1)


# The documented fallback when Gamma-Gamma cannot be fitted (reason code below): expected
# purchases × the customer's own average order value, without shrinkage. Gamma-Gamma needs the
# customers' mean spends to look like one Gamma population with a finite mean (q > 1) and to
# be at most weakly correlated with frequency. Data mixing consumers (orders of ¥100s) and
# businesses (orders of ¥10,000s–¥100,000s), as the demo does, has a tail so heavy that the
# maximum-likelihood q falls to ≤ 1 (an infinite mean spend): no expectation exists, so
# rather than leave expected_spend_12m empty the job uses each customer's own mean.
GAMMA_GAMMA_FALLBACK = "gamma_gamma_fallback"


def fallback_average_spend(monetary_value) -> np.ndarray:
    """Spend per purchase when Gamma-Gamma cannot be fitted: the customer's own mean spend;
    for a customer without one (no spend recorded, or x = 0 where `monetary_value` counts
    repeat purchases only) the mean of those who have one (the role Gamma-Gamma's population
    mean plays for them), 0 when nobody has one."""
    (m,) = _as_arrays(monetary_value)
    has_own = (m > 0) & np.isfinite(m)
    population = float(m[has_own].mean()) if has_own.any() else 0.0
    return np.where(has_own, m, population)


# ---------------------------------------------------------------- both, for the segment job


def churn_scores(frequency, recency, T, monetary, *, horizon: float = 52.0) -> ChurnScores:
    """Fit both models on these customers and score each: P(alive), purchases, spend.

    `horizon` is in the unit of recency and T (52 weeks = the 12-month expected spend).
    expected_spend = expected purchases over the horizon × expected spend per purchase
    (undiscounted). When there are fewer than MIN_REPEAT_CUSTOMERS customers with repeat
    purchases nothing is fitted: every value is NaN and `reason_code` says why.
    """
    x, t_x, T, m = _as_arrays(frequency, recency, T, monetary)
    nan = np.full(len(x), np.nan)
    try:
        bgnbd = fit_bgnbd(x, t_x, T)
    except ChurnModelError:
        few = np.count_nonzero(x > 0) < MIN_REPEAT_CUSTOMERS
        return ChurnScores(
            p_alive=nan,
            expected_purchases=nan.copy(),
            expected_spend=nan.copy(),
            bgnbd=None,
            gamma_gamma=None,
            reason_code="too_few_repeat_customers" if few else "bgnbd_fit_failed",
            reason=_("复购客户太少，无法估计流失风险") if few else _("流失模型拟合失败"),
        )
    alive = p_alive(bgnbd, x, t_x, T)
    purchases = expected_purchases(bgnbd, horizon, x, t_x, T)
    try:
        gamma_gamma = fit_gamma_gamma(x, m)
    except ChurnModelError:
        return ChurnScores(
            p_alive=alive,
            expected_purchases=purchases,
            expected_spend=purchases * fallback_average_spend(m),
            bgnbd=bgnbd,
            gamma_gamma=None,
            reason_code=GAMMA_GAMMA_FALLBACK,
            reason=_("消费金额模型无法拟合，预计消费按客户自身平均客单价估算"),
        )
    spend = purchases * expected_average_spend(gamma_gamma, x, m)
    return ChurnScores(
        p_alive=alive,
        expected_purchases=purchases,
        expected_spend=spend,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
    )
