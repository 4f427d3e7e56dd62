"""Churn risk: BG/NBD and Gamma-Gamma reproduce the published CDNOW estimates.

The CDNOW sample (2,357 customers who first bought in Q1 1997, 39 calibration weeks to
1997-09-30) ships with the `lifetimes` package (a dev dependency); we read its data files
without importing it.
"""

import csv
import importlib.metadata
from datetime import date

import numpy as np
import pytest

from careloop.segments import churn
from careloop.segments.churn import BgNbdParams, GammaGammaParams

# Fader, Hardie & Lee (2005), CDNOW sample, weeks; log-likelihood −9582.4.
PAPER_BGNBD = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
# Fader & Hardie, "The Gamma-Gamma Model of Monetary Value" (2013), same customers.
PAPER_GAMMA_GAMMA = GammaGammaParams(p=6.25, q=3.74, v=15.44)


def cdnow_file(name: str):
    return importlib.metadata.distribution("lifetimes").locate_file(f"lifetimes/datasets/{name}")


@pytest.fixture(scope="module")
def cdnow():
    """ID, x, t_x, T (weeks), zbar (mean spend of the repeat purchases) per customer."""
    with open(cdnow_file("cdnow_customers_summary_with_transactions.csv")) as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in ("ID", "x", "t_x", "T", "zbar")}


def two_significant_figures(value: float) -> float:
    return float(f"{value:.2g}")


def simulate_bgnbd(params: BgNbdParams, n: int, seed: int):
    """n customers from the BG/NBD story, first purchase in a 12-week window, whole days."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(params.r, 1 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    age_days = rng.integers(272, 357, n)
    repeats_before_dropout = rng.geometric(dropout)
    arrivals = rng.poisson(rate * age_days / 7)
    x = np.minimum(repeats_before_dropout, arrivals)
    repeat = x > 0
    last = np.zeros(n)
    # the x-th of `arrivals` uniform arrival times in [0, T] is Beta(x, arrivals − x + 1)·T
    last[repeat] = rng.beta(x[repeat], arrivals[repeat] - x[repeat] + 1)
    last_days = np.where(repeat, np.maximum(np.floor(last * age_days), 1), 0)
    return x.astype(float), last_days / 7, age_days / 7


def test_bgnbd_fit_reproduces_the_paper_on_cdnow(cdnow):
    fit = churn.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])

    for got, published in zip(fit, PAPER_BGNBD, strict=True):
        assert two_significant_figures(got) == two_significant_figures(published)
        assert got == pytest.approx(published, abs=0.001)  # and to the paper's three decimals
    ll = churn.bgnbd_log_likelihood(fit, cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert round(ll, 1) == -9582.4


def test_raw_cdnow_orders_give_the_published_summary(cdnow):
    """Orders → (x, t_x, T, mean repeat spend) in days → weeks; same-day orders are one."""
    raw = np.loadtxt(cdnow_file("CDNOW_sample.txt"), dtype=str)
    customer = raw[:, 1].astype(int)
    day = [date(int(s[:4]), int(s[4:6]), int(s[6:])).toordinal() for s in raw[:, 2]]
    as_of = date(1997, 9, 30).toordinal()

    summary = churn.summary_from_orders(customer, day, raw[:, 4].astype(float), as_of_day=as_of)

    assert summary.customer.tolist() == cdnow["ID"].astype(int).tolist()
    assert summary.frequency.tolist() == cdnow["x"].tolist()
    for mine, published in [("recency", "t_x"), ("T", "T"), ("monetary", "zbar")]:
        np.testing.assert_allclose(getattr(summary, mine), cdnow[published], atol=0.0051)
    fit = churn.fit_bgnbd(summary.frequency, summary.recency, summary.T)
    assert [two_significant_figures(v) for v in fit] == [0.24, 4.4, 0.79, 2.4]


def test_gamma_gamma_fit_reproduces_the_note_on_cdnow(cdnow):
    fit = churn.fit_gamma_gamma(cdnow["x"], cdnow["zbar"])  # the 946 repeat buyers

    for got, published in zip(fit, PAPER_GAMMA_GAMMA, strict=True):
        assert two_significant_figures(got) == two_significant_figures(published)
        assert got == pytest.approx(published, abs=0.01)


def test_conditional_expectation_matches_the_paper():
    """x = 2, t_x = 30.43, T = 38.86: 1.226 purchases expected in the next 39 weeks."""
    got = churn.expected_purchases(PAPER_BGNBD, 39, [2], [30.43], [38.86])

    assert got[0] == pytest.approx(1.226, abs=0.0005)


def test_expected_purchases_of_a_new_customer_match_the_paper(cdnow):
    """Hardie's spreadsheet for the paper's eq. (9), with the unrounded estimates."""
    fit = churn.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    weeks = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]

    got = churn.expected_purchases_new_customer(fit, weeks)

    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    np.testing.assert_allclose(got, expected, atol=0.0005)


def test_expected_average_spend_matches_the_note(cdnow):
    """The first ten CDNOW customers; those without repeat purchases get the mean, 35.22."""
    got = churn.expected_average_spend(PAPER_GAMMA_GAMMA, cdnow["x"][:10], cdnow["zbar"][:10])

    expected = [24.65, 18.91, 35.22, 35.22, 35.22, 71.46, 18.91, 35.22, 27.28, 35.22]
    np.testing.assert_allclose(got, expected, atol=0.02)


def test_a_customer_without_repeat_purchases_is_alive():
    got = churn.p_alive(PAPER_BGNBD, [0, 0, 0], [0, 0, 0], [0, 10, 78])

    assert got.tolist() == [1.0, 1.0, 1.0]


def test_p_alive_falls_as_the_last_purchase_gets_older():
    last_purchase_week = np.array([38.0, 30.0, 20.0, 10.0, 1.0])

    got = churn.p_alive(PAPER_BGNBD, np.full(5, 3), last_purchase_week, np.full(5, 39))

    assert np.all(np.diff(got) < 0)
    assert got[0] > 0.8 and got[-1] < 0.01


def test_expected_purchases_grow_with_frequency_for_recent_buyers():
    x = np.array([0, 1, 2, 5, 10, 20])

    got = churn.expected_purchases(PAPER_BGNBD, 52, x, np.full(6, 38.5), np.full(6, 39))

    assert np.all(np.diff(got) > 0)


def test_a_frequent_buyer_gone_quiet_is_more_at_risk_than_a_rare_one():
    """The model's point: 10 purchases then 30 weeks of silence is worse than 1 purchase."""
    got = churn.p_alive(PAPER_BGNBD, [1, 10], [9.0, 9.0], [39.0, 39.0])

    assert got[1] < 0.001 and got[0] > 0.4


def test_heavy_buyers_stay_finite():
    x, t_x, T = [500, 2000], [38.0, 38.8], [38.86, 38.86]

    purchases = churn.expected_purchases(PAPER_BGNBD, 52, x, t_x, T)
    alive = churn.p_alive(PAPER_BGNBD, x, t_x, T)

    assert np.all(np.isfinite(purchases)) and np.all(np.isfinite(alive))
    assert 0 < alive[0] < 1 and purchases[1] > purchases[0]


def test_weights_count_identical_rows(cdnow):
    (x, t_x, T), weights = churn.compress(cdnow["x"], cdnow["t_x"], cdnow["T"])

    compressed = churn.fit_bgnbd(x, t_x, T, weights=weights)

    assert weights.sum() == 2357 and len(weights) < 2357
    full = churn.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    np.testing.assert_allclose(compressed, full, rtol=1e-9)
    assert churn.bgnbd_log_likelihood(full, x, t_x, T, weights=weights) == pytest.approx(
        churn.bgnbd_log_likelihood(full, cdnow["x"], cdnow["t_x"], cdnow["T"])
    )


def test_fit_recovers_the_parameters_of_simulated_customers():
    x, t_x, T = simulate_bgnbd(PAPER_BGNBD, 200_000, seed=4)

    fit = churn.fit_bgnbd(x, t_x, T)

    np.testing.assert_allclose(fit, PAPER_BGNBD, rtol=0.06)


def test_churn_scores_on_cdnow(cdnow):
    scores = churn.churn_scores(cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["zbar"], horizon=39)

    assert scores.reason_code == "" and scores.reason == ""
    assert scores.bgnbd == pytest.approx(PAPER_BGNBD, abs=0.001)
    assert scores.gamma_gamma == pytest.approx(PAPER_GAMMA_GAMMA, abs=0.01)
    assert scores.p_alive.shape == scores.expected_spend.shape == (2357,)
    assert np.all((scores.p_alive > 0) & (scores.p_alive <= 1))
    assert scores.expected_purchases[0] == pytest.approx(1.226, abs=0.001)  # customer 1
    spend_per_purchase = churn.expected_average_spend(scores.gamma_gamma, 2, 22.35)[0]
    assert scores.expected_spend[0] == pytest.approx(1.226 * spend_per_purchase, rel=0.001)


def test_churn_scores_say_why_with_too_few_repeat_customers():
    x = np.array([0] * 30 + [1] * 19)
    t_x = np.where(x > 0, 4.0, 0.0)

    scores = churn.churn_scores(x, t_x, np.full(49, 10.0), np.where(x > 0, 50.0, 0.0))

    assert np.isnan(scores.p_alive).all() and np.isnan(scores.expected_spend).all()
    assert scores.bgnbd is None and scores.reason_code == "too_few_repeat_customers"
    assert str(scores.reason) == "复购客户太少，无法估计流失风险"


def test_churn_scores_without_spend_keep_p_alive(cdnow):
    scores = churn.churn_scores(cdnow["x"], cdnow["t_x"], cdnow["T"], np.zeros(2357))

    assert scores.reason_code == "gamma_gamma_fallback" and scores.gamma_gamma is None
    assert (scores.expected_spend == 0).all() and not np.isnan(scores.p_alive).any()


def test_consumers_mixed_with_businesses_fall_back_to_own_average_spend(cdnow):
    """Every third repeat buyer spends 500× as much (a business among consumers): the mean
    spends' tail is too heavy for one Gamma (q ≤ 1), so Gamma-Gamma is refused and the
    expected spend is the expected purchases × the customer's own mean spend."""
    m = cdnow["zbar"].copy()
    repeat = np.flatnonzero(cdnow["x"] > 0)
    m[repeat[::3]] *= 500
    with pytest.raises(churn.ChurnModelError, match="q ≤ 1"):
        churn.fit_gamma_gamma(cdnow["x"], m)

    scores = churn.churn_scores(cdnow["x"], cdnow["t_x"], cdnow["T"], m, horizon=39)

    assert scores.reason_code == "gamma_gamma_fallback"
    assert str(scores.reason) == "消费金额模型无法拟合，预计消费按客户自身平均客单价估算"
    own = churn.fallback_average_spend(m)
    assert scores.expected_spend == pytest.approx(scores.expected_purchases * own)
    first = repeat[0]  # a business: 500 × its mean spend of 22.35 per purchase
    assert (cdnow["zbar"][first], own[first]) == (22.35, 11175.0)
    one_timer = np.flatnonzero(cdnow["x"] == 0)[0]  # no repeat spend: the mean of those with one
    assert own[one_timer] == pytest.approx(m[repeat].mean())


def test_fallback_average_spend_by_hand():
    assert churn.fallback_average_spend([10.0, 0.0, 30.0, np.nan]).tolist() == [10, 20, 30, 20]
    assert churn.fallback_average_spend([0.0, 0.0]).tolist() == [0, 0]


def test_too_few_repeat_customers_refuse_to_fit():
    with pytest.raises(churn.ChurnModelError):
        churn.fit_bgnbd([1] * 19 + [0] * 100, [3.0] * 19 + [0.0] * 100, [10.0] * 119)
    with pytest.raises(churn.ChurnModelError):
        churn.fit_gamma_gamma([1] * 19, [20.0] * 19)


@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [([1], [11.0], [10.0]), ([0], [2.0], [10.0]), ([1.5], [2.0], [10.0]), ([-1], [0.0], [1.0])],
)
def test_inconsistent_summaries_are_refused(x, t_x, T):
    with pytest.raises(ValueError):
        churn.fit_bgnbd(x * 30, t_x * 30, T * 30)
