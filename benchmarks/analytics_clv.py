"""Lifetime-value model at scale: summarise, fit BG/NBD and Gamma-Gamma, score customers.

1. For each size in `--clv-customers` (default 10,000, 100,000 and 200,000 customers)
   synthetic customers are drawn from the BG/NBD generative process with known
   parameters (`--clv-true`, default r=0.5, alpha=6, a=0.8, b=2.5) and ages spread over
   two years (whole days, as real purchase dates give), and their repeat-purchase
   values from Gamma-Gamma (p=6, q=4, v=15). Purchase rows are rebuilt from each
   customer's summary (first purchase, last purchase at t_x, the others in between).
2. Measured in-process, median of `--clv-repeats` runs:
   - **summarise**: `clv.summarise` over the purchase rows (merging per week);
   - **fit BG/NBD**, **fit Gamma-Gamma**: the maximum-likelihood fits;
   - **score**: `clv.score` — P(alive), expected purchases and value for 3/6/12 months;
   - **floor**: one vectorised evaluation of the BG/NBD log-likelihood over every
     customer — the least any fit must do once; the fit's ratio to it is roughly how
     many evaluations the optimiser needed (after identical customers are collapsed).
3. Prints the figures and the recovered parameters beside the true ones; nothing is
   asserted. Pure numpy/scipy: no database.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

TITLE = "Lifetime-value model (BG/NBD + Gamma-Gamma fits in numpy/scipy vs one likelihood pass)"
HERE = Path(__file__).resolve().parent


def add_arguments(parser) -> None:
    group = parser.add_argument_group("analytics_clv")
    group.add_argument(
        "--clv-customers",
        default="10000,100000,200000",
        help="comma-separated numbers of customers",
    )
    group.add_argument("--clv-repeats", type=int, default=3, help="timed runs per measurement")
    group.add_argument(
        "--clv-true", default="0.5,6,0.8,2.5", help="true r,alpha,a,b of the simulation"
    )
    group.add_argument("--clv-seed", type=int, default=2026)


def _median_s(function, repeats: int):
    times, result = [], None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _transactions(x, t_x, T, end_day, rng):
    """Purchase rows (customer, day, amount) consistent with each summary (whole days);
    amounts are Gamma(p=6, rate nu) with nu ~ Gamma(q=4, rate v=15) per customer."""
    n = len(x)
    first = end_day - np.round(T * 7).astype(np.int64)
    last = first + np.round(t_x * 7).astype(np.int64)
    counts = x.astype(np.int64) + 1
    cust = np.repeat(np.arange(n), counts)
    # Position k of each customer's purchases: 0 → first, x → last, between → uniform.
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(len(cust)) - starts
    span = (last - first)[cust]
    between = first[cust] + (rng.random(len(cust)) * span).astype(np.int64)
    day = np.where(k == 0, first[cust], np.where(k == counts[cust] - 1, last[cust], between))
    nu = rng.gamma(4.0, 1.0 / 15.0, n)
    amount = rng.gamma(6.0, 1.0 / nu[cust])
    return cust, day.astype("datetime64[D]"), amount


def _measure(clv, n: int, true: tuple, end_day: int, repeats: int, rng) -> tuple:
    T = rng.integers(1, 730, n) / 7.0  # ages: 1 day to 2 years, in weeks
    x, t_x = clv.sample_bgnbd(true, T, rng)
    t_x = np.minimum(np.round(t_x * 7) / 7, T)  # purchase days are whole days
    cust, days, amounts = _transactions(x, t_x, T, end_day, rng)
    end = np.datetime64(int(end_day), "D")
    # The refresh's summary (purchases merged per calendar week) is timed; the fits run on
    # the simulated summary itself (days, unmerged) so the recovered parameters can be
    # compared with the true ones.
    t_sum, week = _median_s(lambda: clv.summarise(cust, days, amounts, end, period_days=7), repeats)
    # The production path: fit and score on the weekly summary.
    wf, wr, wT, wm = week.frequency, week.recency, week.T, week.monetary_value
    t_week, (wbg, wgg) = _median_s(
        lambda: (clv.fit_bgnbd(wf, wr, wT), clv.fit_gamma_gamma(wf, wm)), repeats
    )
    t_wscore, _ = _median_s(lambda: clv.score(wbg, wgg, wf, wr, wT, wm), repeats)
    day_summary = clv.summarise(cust, days, amounts, end, period_days=7, merge_days=1)
    f, r, age, m = x, t_x, T, day_summary.monetary_value
    distinct = len(np.unique(np.column_stack((f, r, age)), axis=0))
    t_floor, _ = _median_s(lambda: clv.bgnbd_log_likelihood(true, f, r, age).sum(), 5)
    t_bg, bg = _median_s(lambda: clv.fit_bgnbd(f, r, age), repeats)
    t_gg, gg = _median_s(lambda: clv.fit_gamma_gamma(f, m), repeats)
    t_score, _ = _median_s(lambda: clv.score(bg, gg, f, r, age, m), repeats)
    return (n, len(cust), distinct, t_sum, t_bg, t_gg, t_score, t_floor, bg, gg, t_week, t_wscore)


def run(options) -> None:
    sys.path.insert(0, str(HERE.parent))
    from guanxi.analytics import clv

    true = tuple(float(v) for v in options.clv_true.split(","))
    sizes = [int(s) for s in options.clv_customers.split(",") if s.strip()]
    rng = np.random.default_rng(options.clv_seed)
    end_day = int(np.datetime64("2026-06-30", "D").astype(np.int64))
    print(f"true BG/NBD parameters r={true[0]} alpha={true[1]} a={true[2]} b={true[3]}; "
          "Gamma-Gamma p=6 q=4 v=15 (mean spend 30)")  # fmt: skip
    rows = [_measure(clv, n, true, end_day, options.clv_repeats, rng) for n in sizes]
    print()
    print(f"{'customers':>10} {'purchases':>10} {'distinct':>9} {'summarise s':>12} "
          f"{'fit BG s':>9} {'fit GG s':>9} {'score s':>8} {'floor ms':>9} {'fit/floor':>10}")  # fmt: skip
    for n, purchases, distinct, t_sum, t_bg, t_gg, t_score, t_floor, *_rest in rows:
        print(f"{n:>10,} {purchases:>10,} {distinct:>9,} {t_sum:>12.3f} {t_bg:>9.3f} "
              f"{t_gg:>9.3f} {t_score:>8.3f} {t_floor * 1000:>9.1f} {t_bg / t_floor:>9.0f}×")  # fmt: skip
    print()
    print("Production path (weekly summary as the metrics refresh uses): summarise + both fits"
          " + score")  # fmt: skip
    print(f"{'customers':>10} {'fits s':>8} {'score s':>8} {'total s':>8}")
    for n, _p, _d, t_sum, *_rest, t_week, t_wscore in rows:
        print(f"{n:>10,} {t_week:>8.3f} {t_wscore:>8.3f} {t_sum + t_week + t_wscore:>8.3f}")
    print()
    print(f"{'customers':>10} {'r':>7} {'alpha':>7} {'a':>7} {'b':>7} {'p':>7} {'q':>7} "
          f"{'v':>7} {'mean spend':>11}")  # fmt: skip
    print(f"{'true':>10} {true[0]:>7.3f} {true[1]:>7.3f} {true[2]:>7.3f} {true[3]:>7.3f} "
          f"{6:>7.3f} {4:>7.3f} {15:>7.3f} {30:>11.2f}")  # fmt: skip
    for n, *_rest, bg, gg, _t_week, _t_wscore in rows:
        print(f"{n:>10,} {bg.r:>7.3f} {bg.alpha:>7.3f} {bg.a:>7.3f} {bg.b:>7.3f} {gg.p:>7.3f} "
              f"{gg.q:>7.3f} {gg.v:>7.3f} {gg.population_mean:>11.2f}")  # fmt: skip


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=TITLE)
    add_arguments(parser)
    run(parser.parse_args())
