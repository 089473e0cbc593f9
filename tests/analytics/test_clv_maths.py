"""The BG/NBD and Gamma-Gamma maths (guanxi.analytics.clv), checked against published
results on the public CDNOW data set and against hand-computed formulas.

Reference values:
- BG/NBD on the 2,357-customer CDNOW calibration summary: r = 0.243, alpha = 4.414,
  a = 0.793, b = 2.426, LL = −9582.4 (Fader, Hardie & Lee 2005, "Counting your customers
  the easy way", Marketing Science 24(2), section 4).
- Gamma-Gamma on its 946 repeat customers: p = 6.25, q = 3.74, v = 15.44 (Fader, Hardie &
  Lee 2005, "RFM and CLV", JMR 42(4); Fader & Hardie 2013 note on the Gamma-Gamma model).
- Per-customer predictions: the documented outputs of the `lifetimes` package's
  Quickstart (0.11.3) on the same data.
The data are in tests/analytics/data (see its README).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from guanxi.analytics import clv

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def cdnow():
    d = np.genfromtxt(DATA / "cdnow_customers_summary.csv", delimiter=",", names=True)
    return {"x": d["x"], "t_x": d["t_x"], "T": d["T"], "m": d["zbar"], "id": d["ID"]}


@pytest.fixture(scope="module")
def cdnow_transactions():
    raw = np.loadtxt(DATA / "cdnow_sample_transactions.txt", dtype=str)
    ids = raw[:, 1].astype(int)
    dates = np.array([f"{s[:4]}-{s[4:6]}-{s[6:]}" for s in raw[:, 2]], dtype="datetime64[D]")
    return ids, dates, raw[:, 4].astype(float)


@pytest.fixture(scope="module")
def bg(cdnow):
    return clv.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


@pytest.fixture(scope="module")
def gg(cdnow):
    return clv.fit_gamma_gamma(cdnow["x"], cdnow["m"])


# ----------------------------------------------------------------- published reference


def test_bgnbd_reproduces_the_published_cdnow_estimates(bg):
    assert bg.converged
    assert bg.n == 2357
    assert bg.r == pytest.approx(0.243, abs=0.0005)
    assert bg.alpha == pytest.approx(4.414, abs=0.0005)
    assert bg.a == pytest.approx(0.793, abs=0.0005)
    assert bg.b == pytest.approx(2.426, abs=0.0005)
    assert bg.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_gamma_gamma_reproduces_the_published_cdnow_estimates(gg):
    assert gg.converged
    assert gg.n == 946  # only the repeat customers
    assert gg.p == pytest.approx(6.25, abs=0.005)
    assert gg.q == pytest.approx(3.74, abs=0.005)
    assert gg.v == pytest.approx(15.44, abs=0.01)


def test_summarise_rebuilds_the_cdnow_summary_from_its_transactions(cdnow, cdnow_transactions):
    ids, dates, amounts = cdnow_transactions
    s = clv.summarise(ids, dates, amounts, "1997-09-30", period_days=7, merge_days=1)
    assert len(s) == 2357
    assert np.array_equal(s.customer_ids, cdnow["id"].astype(int))
    assert np.array_equal(s.frequency, cdnow["x"])
    # The published file rounds weeks and dollars to 2 decimals.
    assert np.abs(s.recency - cdnow["t_x"]).max() <= 0.005
    assert np.abs(s.T - cdnow["T"]).max() <= 0.005
    assert np.abs(s.monetary_value - cdnow["m"]).max() <= 0.0051


def test_conditional_expected_purchases_match_the_documented_values(bg, cdnow):
    # lifetimes Quickstart: the five customers with the most expected purchases next week.
    rows = np.array([509, 841, 1981, 157, 1516]) - 1
    got = clv.expected_purchases(bg, 1, cdnow["x"][rows], cdnow["t_x"][rows], cdnow["T"][rows])
    assert got == pytest.approx([0.424877, 0.474738, 0.486526, 0.662396, 0.710623], abs=2e-5)
    top = np.argsort(clv.expected_purchases(bg, 1, cdnow["x"], cdnow["t_x"], cdnow["T"]))[-5:]
    assert list(top) == list(rows)


def test_expected_average_value_matches_the_documented_values(gg, cdnow):
    got = clv.expected_average_value(gg, cdnow["x"][:10], cdnow["m"][:10])
    expected = [24.658619, 18.911489, 35.170981, 35.170981, 35.170981, 71.462843,
                18.911489, 35.170981, 27.282408, 35.170981]  # fmt: skip
    assert got == pytest.approx(expected, abs=1e-3)
    mean = clv.expected_average_value(gg, cdnow["x"], cdnow["m"]).mean()
    assert mean == pytest.approx(35.2529588256, abs=1e-3)


def test_lifetime_value_matches_the_documented_values(bg, gg, cdnow):
    # The lifetimes example passes weekly data with its default freq="D", i.e. 30 periods
    # per "month"; the same convention here reproduces its discounted sums exactly.
    s = slice(0, 10)
    got = clv.lifetime_value(
        bg, gg, cdnow["x"][s], cdnow["t_x"][s], cdnow["T"][s], cdnow["m"][s],
        months=12, monthly_discount=0.01, periods_per_month=30,
    )  # fmt: skip
    expected = [140.096211, 18.943467, 38.180574, 38.180574, 38.180574, 1003.868107,
                28.109683, 38.180574, 167.418216, 38.180574]  # fmt: skip
    assert got == pytest.approx(expected, rel=2e-5)


def test_model_check_on_cdnow_calibration_and_holdout(cdnow_transactions):
    ids, dates, amounts = cdnow_transactions
    res = clv.calibration_holdout(ids, dates, amounts, "1997-09-30", "1998-06-30", 7, merge_days=1)
    assert res["params"]["r"] == pytest.approx(0.243, abs=0.001)
    assert res["holdout_periods"] == 39
    assert res["customers"] == 2357
    buckets = res["by_frequency"]
    assert [b["frequency"] for b in buckets] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(b["customers"] for b in buckets) == 2357
    assert buckets[0]["customers"] == 1411
    # FHL 2005 figure 3: customers without a repeat purchase made ~0.24 in the holdout;
    # the model predicts about that, and more for the more frequent buyers.
    assert buckets[0]["actual"] == pytest.approx(0.237, abs=0.001)
    assert buckets[0]["predicted"] == pytest.approx(0.225, abs=0.005)
    predicted = [b["predicted"] for b in buckets]
    assert predicted == sorted(predicted)
    cum = res["cumulative"]
    assert len(cum["dates"]) == len(cum["actual"]) == len(cum["expected"]) == 78
    assert cum["dates"][-1] == "1998-06-30"
    calibration_repeats = 2357 * 0 + float(np.sum(
        clv.summarise(ids, dates, amounts, "1997-09-30", 7, 1).frequency
    ))  # fmt: skip
    assert cum["actual"][-1] == calibration_repeats + res["holdout_actual"]
    # The tracking curve ends within 10% of what happened (FHL figure 1 shows the same).
    assert cum["expected"][-1] == pytest.approx(cum["actual"][-1], rel=0.1)
    assert res["holdout_predicted"] == pytest.approx(res["holdout_actual"], rel=0.15)


# ----------------------------------------------------------------- hand-computed values


def test_summarise_by_week_on_a_hand_made_example():
    # Customer 7: Mon 2024-01-01 (10), Wed 2024-01-03 (5, same week → one purchase of 15),
    # Mon 2024-01-15 (20), Sun 2024-01-28 (40). Customer 9: one purchase. A purchase after
    # the observation end is ignored.
    s = clv.summarise(
        [7, 7, 7, 7, 9, 9],
        ["2024-01-01", "2024-01-03", "2024-01-15", "2024-01-28", "2024-01-10", "2024-03-01"],
        [10, 5, 20, 40, 99, 1],
        "2024-02-05",
    )
    assert list(s.customer_ids) == [7, 9]
    assert list(s.frequency) == [2, 0]
    # Weeks start on Monday: week of Jan 1 → 0, Jan 15 → 2, Jan 28 → 3, Feb 5 → 5.
    assert list(s.recency) == [3, 0]
    assert list(s.T) == [5, 4]
    assert list(s.monetary_value) == [30, 0]  # (20 + 40) / 2, first purchase left out
    assert str(s.first_day[0]) == "2024-01-01"


def test_summarise_by_day():
    s = clv.summarise([1, 1, 1], ["2024-01-01", "2024-01-01", "2024-01-08"], [3, 4, 10],
                      "2024-01-15", period_days=7, merge_days=1)  # fmt: skip
    assert (s.frequency[0], s.recency[0], s.T[0], s.monetary_value[0]) == (1, 1, 2, 10)


def test_summarise_without_purchases():
    s = clv.summarise([], np.array([], dtype="datetime64[D]"), [], "2024-01-01")
    assert len(s) == 0


def test_probability_alive_and_expectation_by_the_formulas():
    r, alpha, a, b = 0.25, 4.0, 0.8, 2.5
    x, t_x, T, t = 3.0, 20.0, 30.0, 10.0
    odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    assert clv.probability_alive((r, alpha, a, b), [x], [t_x], [T])[0] == pytest.approx(
        1 / (1 + odds), rel=1e-12
    )
    assert clv.probability_alive((r, alpha, a, b), [0], [0], [T])[0] == 1.0

    # E[Y(t)|...] by summing the 2F1 series term by term.
    z = t / (alpha + T + t)
    aa, bb, cc = r + x, b + x, a + b + x - 1
    series, term = 0.0, 1.0
    for k in range(400):
        series += term
        term *= (aa + k) * (bb + k) / ((cc + k) * (k + 1)) * z
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * series
    expected = (a + b + x - 1) / (a - 1) * bracket / (1 + odds)
    got = clv.expected_purchases((r, alpha, a, b), t, [x], [t_x], [T])[0]
    assert got == pytest.approx(expected, rel=1e-10)


def test_new_customer_expectation_equals_the_conditional_one_at_birth():
    bg = (0.24, 4.4, 0.79, 2.43)
    t = np.array([1.0, 10.0, 52.0])
    assert clv.expected_purchases(bg, t, [0, 0, 0], [0, 0, 0], [0, 0, 0]) == pytest.approx(
        clv.expected_purchases_new_customer(bg, t), rel=1e-12
    )
    assert clv.expected_purchases(bg, 0, [3], [5], [10])[0] == 0


def test_gamma_gamma_formula_by_hand():
    p, q, v, x, m = 6.0, 4.0, 15.0, 3.0, 40.0
    assert clv.expected_average_value((p, q, v), [x], [m])[0] == pytest.approx(
        (q - 1) / (p * x + q - 1) * p * v / (q - 1) + p * x / (p * x + q - 1) * m
    )
    assert clv.expected_average_value((p, q, v), [0], [0])[0] == pytest.approx(p * v / (q - 1))


def test_lifetime_value_is_the_discounted_sum_of_monthly_purchases():
    bg, gg = (0.3, 5.0, 0.9, 2.0), (6.0, 4.0, 15.0)
    x, t_x, T, m = [2.0], [10.0], [20.0], [30.0]
    k = 30.4375 / 7
    spend = clv.expected_average_value(gg, x, m)[0]
    total = sum(
        spend
        * (clv.expected_purchases(bg, i * k, x, t_x, T)[0]
           - clv.expected_purchases(bg, (i - 1) * k, x, t_x, T)[0])
        / 1.01**i
        for i in range(1, 4)
    )  # fmt: skip
    assert clv.lifetime_value(bg, gg, x, t_x, T, m, months=3)[0] == pytest.approx(total)
    undiscounted = clv.lifetime_value(bg, gg, x, t_x, T, m, months=3, monthly_discount=0)[0]
    assert undiscounted == pytest.approx(spend * clv.expected_purchases(bg, 3 * k, x, t_x, T)[0])


def test_heavy_buyers_stay_finite():
    bg = (0.24, 4.4, 0.79, 2.43)
    x, t_x, T = [500.0, 2000.0], [51.0, 99.0], [52.0, 100.0]
    assert np.all(np.isfinite(clv.expected_purchases(bg, 52, x, t_x, T)))
    assert np.all(np.isfinite(clv.bgnbd_log_likelihood(bg, x, t_x, T)))
    pa = clv.probability_alive(bg, x, t_x, T)
    assert np.all((pa > 0) & (pa < 1))


# ----------------------------------------------------------------- recovery and errors


def test_bgnbd_recovers_the_parameters_of_simulated_customers():
    rng = np.random.default_rng(20240501)
    true = (0.5, 6.0, 0.8, 2.5)
    T = np.round(rng.uniform(10, 60, 20_000) * 7) / 7  # ages on whole days
    x, t_x = clv.sample_bgnbd(true, T, rng)
    t_x = np.round(t_x * 7) / 7
    fit = clv.fit_bgnbd(x, t_x, T)
    assert fit.r == pytest.approx(true[0], rel=0.06)
    assert fit.alpha == pytest.approx(true[1], rel=0.08)
    assert fit.a == pytest.approx(true[2], rel=0.15)
    assert fit.b == pytest.approx(true[3], rel=0.2)


def test_gamma_gamma_recovers_simulated_spend():
    rng = np.random.default_rng(7)
    x = rng.integers(1, 10, 20_000).astype(float)
    m = clv.sample_gamma_gamma((6.0, 4.0, 15.0), x, rng)
    fit = clv.fit_gamma_gamma(x, m)
    # p and the (q, v) ridge are weakly separated; the population mean p·v/(q−1) = 30 and
    # p itself are well determined.
    assert fit.population_mean == pytest.approx(30.0, rel=0.03)
    assert fit.p == pytest.approx(6.0, rel=0.1)


@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [([], [], []), ([1, 2], [1], [3, 4]), ([-1], [0], [3]), ([2], [5], [3])],
)
def test_fit_bgnbd_refuses_bad_summaries(x, t_x, T):
    with pytest.raises(ValueError):
        clv.fit_bgnbd(x, t_x, T)


def test_fit_gamma_gamma_needs_repeat_customers():
    with pytest.raises(ValueError):
        clv.fit_gamma_gamma([0, 0], [0, 0])


def test_calibration_holdout_refuses_bad_periods():
    with pytest.raises(ValueError):
        clv.calibration_holdout([1], ["2024-01-01"], [1], "2024-02-01", "2024-01-15")
    with pytest.raises(ValueError):
        clv.calibration_holdout([1], ["2024-03-01"], [1], "2024-02-01", "2024-04-01")


def test_likelihood_gradients_match_finite_differences(cdnow):
    from scipy.optimize import approx_fprime

    x, t_x, T, m = cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["m"]
    point = np.array([0.3, 4.0, 0.9, 2.0])
    numeric = approx_fprime(point, lambda p: clv.bgnbd_log_likelihood(p, x, t_x, T).sum(), 1e-6)
    exact = clv.bgnbd_log_likelihood_gradient(tuple(point), x, t_x, T).sum(axis=0)
    assert exact == pytest.approx(numeric, rel=1e-4, abs=1e-2)
    rep = x > 0
    point = np.array([5.0, 3.0, 14.0])
    numeric = approx_fprime(
        point, lambda p: clv.gamma_gamma_log_likelihood(p, x[rep], m[rep]).sum(), 1e-6
    )
    exact = clv.gamma_gamma_log_likelihood_gradient(tuple(point), x[rep], m[rep]).sum(axis=0)
    assert exact == pytest.approx(numeric, rel=1e-4, abs=1e-2)


def test_score_gives_identical_customers_identical_figures(bg, gg, cdnow):
    rows = slice(0, 40)  # many customers here share (x, t_x, T, m) = (0, 0, 38.86, 0)
    args = (cdnow["x"][rows], cdnow["t_x"][rows], cdnow["T"][rows], cdnow["m"][rows])
    scored = clv.score(bg, gg, *args)
    assert scored["expected_purchases_12m"] == pytest.approx(
        clv.expected_purchases(bg, 12 * 30.4375 / 7, *args[:3]), rel=1e-12
    )
    assert scored["expected_value_12m"] == pytest.approx(
        clv.lifetime_value(bg, gg, *args, months=12), rel=1e-12
    )
    assert scored["expected_value_3m"] == pytest.approx(
        clv.lifetime_value(bg, gg, *args, months=3), rel=1e-12
    )
    assert scored["p_alive"] == pytest.approx(clv.probability_alive(bg, *args[:3]), rel=1e-12)
