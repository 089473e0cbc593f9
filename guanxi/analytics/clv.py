"""Customer lifetime value: the BG/NBD and Gamma-Gamma models (pure maths, no Django).

Everything here takes and returns numpy arrays (one element per customer) so a whole
organisation is summarised, fitted and scored in a few vectorised passes.

Units
-----
Time is measured in *periods* of `period_days` days (7 by default, i.e. weeks, as in the
papers). `summarise` returns recency and age in that unit; `fit_bgnbd` and the prediction
functions use whatever unit their inputs are in (alpha is "per period"), so use the same
unit throughout. `lifetime_value` converts months to periods with `periods_per_month`.

The models
----------
BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing
Science 24(2)): while alive, a customer buys as a Poisson process with rate lambda;
lambda ~ Gamma(r, alpha) across customers. After each repeat purchase the customer drops
out with probability p; p ~ Beta(a, b). Inputs per customer: x = frequency (repeat
purchases), t_x = recency (time of the last purchase after the first), T = age (time from
the first purchase to the end of observation).

Gamma-Gamma (Fader, Hardie & Lee 2005b, "RFM and CLV: using iso-value curves for customer
base analysis", JMR 42(4); Fader & Hardie 2013 note "The Gamma-Gamma model of monetary
value"): a customer's purchase amounts are Gamma(p, nu); nu ~ Gamma(q, v) across
customers. Fitted on the mean repeat-purchase amount m_x of the customers with x > 0.
The model assumes spend is independent of purchase frequency.

Likelihoods are the closed forms of the papers, written with `gammaln`/`betaln` and
`logaddexp` so they stay finite for customers with hundreds of purchases; parameters are
estimated by maximum likelihood (`scipy.optimize.minimize` on log-parameters, so they
stay positive without bounds). Identical customers (same x, t_x, T) are collapsed into one
weighted row before fitting, which keeps the fit fast on large organisations.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

FloatArray = NDArray[np.float64]

DAYS_PER_MONTH = 365.25 / 12
# Purchases in the holdout are bucketed by calibration frequency 0, 1, …, 7+ (the
# Fader-Hardie-Lee figure 3).
FREQUENCY_BUCKETS = 8


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Summary:
    """Per-customer RFM summary in the shape the models expect (all arrays aligned).

    - `customer_ids`: the distinct ids, sorted.
    - `frequency` (x): repeat purchases = number of distinct purchase periods − 1.
    - `recency` (t_x): time from the first to the last purchase, in periods.
    - `T`: time from the first purchase to the end of observation, in periods.
    - `monetary_value` (m_x): mean amount of the repeat purchases (the first purchase is
      left out, as Fader-Hardie do), 0 for customers without a repeat purchase.
    - `first_day`: the day of the first purchase (datetime64[D]).
    """

    customer_ids: NDArray[Any]
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    first_day: NDArray[np.datetime64]

    def __len__(self) -> int:
        return len(self.customer_ids)


def _days(values: ArrayLike) -> NDArray[np.int64]:
    """Dates (date, datetime, ISO strings or datetime64) → integer days since 1970-01-01."""
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64)


def _bucket(days: NDArray[np.int64], merge_days: int) -> NDArray[np.int64]:
    # Weeks (and other multiples of 7) start on Monday: 1970-01-05 is day 4.
    return (days - 4) // merge_days if merge_days % 7 == 0 else days // merge_days


def summarise(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    amounts: ArrayLike,
    observation_end: Any,
    period_days: int = 7,
    merge_days: int | None = None,
) -> Summary:
    """Summarise purchases (one row each) into frequency, recency, age and spend.

    `period_days` is the time unit of recency and T (7: weeks). Purchases falling in the
    same *merge* bucket of `merge_days` days (default: `period_days`, i.e. purchases in one
    calendar week, Monday-Sunday, count once, their amounts added) are one transaction;
    use `merge_days=1` for "purchases on distinct days" (what the CDNOW summary uses).
    Purchases after `observation_end` are ignored. Customers without purchases up to
    `observation_end` do not appear.
    """
    merge = int(merge_days or period_days)
    ids = np.asarray(customer_ids)
    days = _days(dates)
    amt = np.asarray(amounts, dtype=np.float64)
    end_day = int(_days([observation_end])[0])
    keep = days <= end_day
    ids, days, amt = ids[keep], days[keep], amt[keep]
    if len(ids) == 0:
        empty = np.zeros(0)
        return Summary(ids, empty, empty, empty, empty, np.zeros(0, dtype="datetime64[D]"))

    uniq, cust = np.unique(ids, return_inverse=True)
    bucket = _bucket(days, merge)
    # One row per (customer, bucket): sort by customer then bucket, collapse runs.
    order = np.lexsort((days, bucket, cust))
    cust, bucket, days, amt = cust[order], bucket[order], days[order], amt[order]
    new_row = np.ones(len(cust), dtype=bool)
    new_row[1:] = (cust[1:] != cust[:-1]) | (bucket[1:] != bucket[:-1])
    starts = np.flatnonzero(new_row)
    t_cust = cust[starts]
    t_bucket = bucket[starts]
    t_day = days[starts]
    t_amount = np.add.reduceat(amt, starts)

    n_cust = len(uniq)
    n_trans = np.bincount(t_cust, minlength=n_cust)
    first_idx = np.concatenate(([0], np.cumsum(n_trans)[:-1]))
    last_idx = first_idx + n_trans - 1
    frequency = (n_trans - 1).astype(np.float64)
    if merge == 1:
        # Day resolution: exact times from the first purchase day.
        first = t_day[first_idx]
        recency = (t_day[last_idx] - first) / float(period_days)
        age = (end_day - first) / float(period_days)
    else:
        scale = merge / period_days
        first = t_bucket[first_idx]
        recency = np.asarray((t_bucket[last_idx] - first) * scale, dtype=np.float64)
        age = np.asarray((_bucket(np.array([end_day]), merge)[0] - first) * scale, dtype=np.float64)
    total = np.bincount(t_cust, weights=t_amount, minlength=n_cust)
    repeat_total = total - t_amount[first_idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_total / np.maximum(frequency, 1), 0.0)
    return Summary(
        customer_ids=uniq,
        frequency=frequency,
        recency=np.asarray(recency, dtype=np.float64),
        T=np.asarray(age, dtype=np.float64),
        monetary_value=monetary,
        first_day=t_day[first_idx].astype("datetime64[D]"),
    )


# --------------------------------------------------------------------------- BG/NBD


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters: purchase rate ~ Gamma(r, alpha) (mean r/alpha per period),
    dropout probability ~ Beta(a, b) (mean a/(a+b)); `log_likelihood` of the fit."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    n: int = 0
    converged: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _arrays(*values: ArrayLike) -> list[FloatArray]:
    return [np.asarray(v, dtype=np.float64) for v in values]


def bgnbd_log_likelihood(
    params: tuple[float, float, float, float] | BgNbdParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """Per-customer log-likelihood, FHL 2005 eq. (6):

    L = Γ(r+x) α^r / Γ(r) · B(a, b+x)/B(a, b) · [ (α+T)^-(r+x)
        + δ(x>0) · a/(b+x−1) · (α+t_x)^-(r+x) ]
    """
    r, alpha, a, b = _unpack_bg(params)
    x, t_x, age = _arrays(frequency, recency, T)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + age)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4), dtype=np.float64)


def _unpack_bg(params: tuple[float, float, float, float] | BgNbdParams) -> tuple[float, ...]:
    if isinstance(params, BgNbdParams):
        return (params.r, params.alpha, params.a, params.b)
    return tuple(float(v) for v in params)


def _collapse(*columns: FloatArray) -> tuple[list[FloatArray], FloatArray]:
    """Unique rows of the aligned columns and how often each occurs."""
    stacked = np.column_stack(columns)
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    return [uniq[:, i] for i in range(uniq.shape[1])], counts.astype(np.float64)


def _maximise(
    neg_ll: Any, start: FloatArray, n_params: int, gradient: Any = None
) -> tuple[FloatArray, float, bool]:
    """Minimise a negative mean log-likelihood over log-parameters; robust to bad steps.

    `gradient(params)` (optional) returns d(neg_ll)/d(params); the chain rule turns it
    into the gradient in log-parameters (× params)."""

    def objective(log_params: FloatArray) -> float:
        value = neg_ll(np.exp(log_params))
        return float(value) if np.isfinite(value) else 1e100

    def jacobian(log_params: FloatArray) -> FloatArray:
        params = np.exp(log_params)
        grad = np.asarray(gradient(params), dtype=np.float64) * params
        return np.where(np.isfinite(grad), grad, 0.0)

    bounds = [(-12.0, 12.0)] * n_params
    options = {"ftol": 1e-13, "gtol": 1e-9, "maxiter": 2000}
    best = minimize(
        objective,
        start,
        method="L-BFGS-B",
        jac=jacobian if gradient is not None else None,
        bounds=bounds,
        options=options,
    )
    if not best.success:
        # Stopped early (a flat ridge, a bad line search): polish with Nelder-Mead from
        # that point (bounded effort).
        polish = minimize(
            objective,
            best.x,
            method="Nelder-Mead",
            options={"xatol": 1e-7, "fatol": 1e-10, "maxfev": 400 * n_params},
        )
        if polish.fun <= best.fun:
            best = polish
    # Converged: the optimiser says so and the likelihood is finite. A parameter at the
    # search bound (e^±12) still counts: the likelihood is flat there and predictions
    # are the model's limit case (e.g. no spread in spend between customers).
    converged = bool(best.success and np.isfinite(best.fun) and best.fun < 1e99)
    return np.exp(best.x), float(best.fun), converged


def bgnbd_log_likelihood_gradient(
    params: tuple[float, float, float, float] | BgNbdParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """Per-customer gradient of `bgnbd_log_likelihood` in (r, alpha, a, b): shape (n, 4)."""
    r, alpha, a, b = _unpack_bg(params)
    x, t_x, age = _arrays(frequency, recency, T)
    has = x > 0
    a3 = -(r + x) * np.log(alpha + age)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            has,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    both = np.logaddexp(a3, a4)
    w3 = np.exp(a3 - both)
    w4 = np.where(has, np.exp(a4 - both), 0.0)
    d_r = (
        digamma(r + x) - digamma(r) + np.log(alpha)
        - w3 * np.log(alpha + age) - w4 * np.log(alpha + t_x)
    )  # fmt: skip
    d_alpha = r / alpha - w3 * (r + x) / (alpha + age) - w4 * (r + x) / (alpha + t_x)
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    with np.errstate(divide="ignore", invalid="ignore"):
        d_b = (
            digamma(b + x) - digamma(a + b + x) - digamma(b) + digamma(a + b)
            - np.where(has, w4 / np.maximum(b + x - 1, 1e-300), 0.0)
        )  # fmt: skip
    return np.column_stack((d_r, d_alpha, d_a, d_b))


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    initial: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters r, alpha, a, b (FHL 2005).

    `frequency` = repeat purchases x, `recency` = t_x, `T` = age, all in one time unit.
    Raises ValueError on empty or inconsistent input.
    """
    x, t_x, age = _arrays(frequency, recency, T)
    _check_summary(x, t_x, age)
    (ux, ut, uT), weights = _collapse(x, t_x, age)
    total = weights.sum()

    def neg_ll(p: FloatArray) -> float:
        return -float(np.dot(weights, bgnbd_log_likelihood(tuple(p), ux, ut, uT))) / total

    def gradient(p: FloatArray) -> FloatArray:
        return -(weights @ bgnbd_log_likelihood_gradient(tuple(p), ux, ut, uT)) / total

    # Start alpha on the scale of the data so the optimiser begins near the optimum.
    start = np.log(np.array(initial, dtype=np.float64))
    start[1] = np.log(max(float(np.mean(age)), 1e-3) / 8) if initial[1] == 1.0 else start[1]
    est, value, converged = _maximise(neg_ll, start, 4, gradient)
    return BgNbdParams(
        r=float(est[0]),
        alpha=float(est[1]),
        a=float(est[2]),
        b=float(est[3]),
        log_likelihood=float(-value * total),
        n=int(total),
        converged=converged,
    )


def _check_summary(x: FloatArray, t_x: FloatArray, age: FloatArray) -> None:
    if not (len(x) == len(t_x) == len(age)):
        raise ValueError("frequency, recency and T must have the same length")
    if len(x) == 0:
        raise ValueError("no customers to fit")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(age < t_x - 1e-9):
        raise ValueError("need frequency >= 0 and 0 <= recency <= T")


def _log_hyp2f1(a: FloatArray, b: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    """log 2F1(a, b; c; z) for 0 <= z < 1, falling back to Euler's transformation
    2F1(a,b;c;z) = (1−z)^(c−a−b) 2F1(c−a, c−b; c; z) where the series overflows."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct = np.log(hyp2f1(a, b, c, z))
        euler = np.log(hyp2f1(c - a, c - b, c, z)) + (c - a - b) * np.log1p(-z)
    return np.asarray(np.where(np.isfinite(direct), direct, euler), dtype=np.float64)


def probability_alive(
    params: BgNbdParams | tuple[float, float, float, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """P(still active at T | x, t_x, T), FHL 2005 eq. (11) (Fader-Hardie note 2008):

    1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)); 1 for customers with x = 0
    (in the BG/NBD a customer can only drop out right after a repeat purchase).
    """
    r, alpha, a, b = _unpack_bg(params)
    x, t_x, age = _arrays(frequency, recency, T)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = (
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
        )
        result = np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)
    return np.asarray(result, dtype=np.float64)


def expected_purchases(
    params: BgNbdParams | tuple[float, float, float, float],
    t: float | ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """Expected purchases in the next `t` periods given the history, FHL 2005 eq. (10):

    E[Y(t)|x,t_x,T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x)
                      · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))]
                      / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
    """
    r, alpha, a, b = _unpack_bg(params)
    x, t_x, age = _arrays(frequency, recency, T)
    horizon = np.asarray(t, dtype=np.float64)
    z = horizon / (alpha + age + horizon)
    log_ratio = (r + x) * (np.log(alpha + age) - np.log(alpha + age + horizon))
    log_h = _log_hyp2f1(r + x, b + x, a + b + x - 1, z)
    bracket = -np.expm1(log_ratio + log_h)
    first = (a + b + x - 1) / (a - 1)
    result = first * bracket * probability_alive((r, alpha, a, b), x, t_x, age)
    return np.asarray(np.where(horizon > 0, result, 0.0), dtype=np.float64)


def expected_purchases_new_customer(
    params: BgNbdParams | tuple[float, float, float, float], t: ArrayLike
) -> FloatArray:
    """Expected repeat purchases in (0, t] of a customer just acquired, FHL 2005 eq. (9):

    E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))]
    """
    r, alpha, a, b = _unpack_bg(params)
    horizon = np.maximum(np.asarray(t, dtype=np.float64), 0.0)
    z = horizon / (alpha + horizon)
    ones = np.ones_like(horizon)
    log_h = _log_hyp2f1(r * ones, b * ones, (a + b - 1) * ones, z)
    log_ratio = r * (np.log(alpha) - np.log(alpha + horizon))
    return np.asarray((a + b - 1) / (a - 1) * -np.expm1(log_ratio + log_h), dtype=np.float64)


def sample_bgnbd(
    params: BgNbdParams | tuple[float, float, float, float],
    T: ArrayLike,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """Draw (frequency, recency) for customers of ages `T` from the BG/NBD process.

    Each customer: lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); repeat purchases form a
    Poisson(lambda) process from the first purchase; after each repeat purchase the
    customer drops out with probability p. Used by tests and the benchmark.
    """
    r, alpha, a, b = _unpack_bg(params)
    age = np.asarray(T, dtype=np.float64)
    n = len(age)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    # Repeat purchases made before dropping out (the last one included): Geometric(p).
    lifetime_purchases = rng.geometric(np.clip(p, 1e-12, 1.0))
    arrivals = rng.poisson(lam * age)
    x = np.minimum(arrivals, lifetime_purchases)
    # Given N arrivals in (0, T], the x-th arrival time is T times the x-th of N sorted
    # uniforms, i.e. T · Beta(x, N − x + 1).
    has = x > 0
    t_x = np.zeros(n)
    t_x[has] = age[has] * rng.beta(x[has], arrivals[has] - x[has] + 1)
    return x.astype(np.float64), t_x


# --------------------------------------------------------------------------- Gamma-Gamma


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma spend parameters; the population mean spend per purchase is
    p·v/(q−1) (defined for q > 1)."""

    p: float
    q: float
    v: float
    log_likelihood: float = float("nan")
    n: int = 0
    converged: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def population_mean(self) -> float:
        return self.p * self.v / (self.q - 1) if self.q > 1 else float("nan")


def gamma_gamma_log_likelihood(
    params: tuple[float, float, float] | GammaGammaParams,
    frequency: ArrayLike,
    monetary_value: ArrayLike,
) -> FloatArray:
    """Per-customer log-likelihood of the mean spend m_x over x repeat purchases:

    f(m_x | p, q, v, x) = Γ(px+q)/(Γ(px)Γ(q)) · v^q · m_x^(px−1) · x^(px) / (v + x·m_x)^(px+q)
    """
    p, q, v = _unpack_gg(params)
    x, m = _arrays(frequency, monetary_value)
    px = p * x
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + x * m),
        dtype=np.float64,
    )


def gamma_gamma_log_likelihood_gradient(
    params: tuple[float, float, float] | GammaGammaParams,
    frequency: ArrayLike,
    monetary_value: ArrayLike,
) -> FloatArray:
    """Per-customer gradient of `gamma_gamma_log_likelihood` in (p, q, v): shape (n, 3)."""
    p, q, v = _unpack_gg(params)
    x, m = _arrays(frequency, monetary_value)
    px = p * x
    log_total = np.log(v + x * m)
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - log_total)
    d_q = digamma(px + q) - digamma(q) + np.log(v) - log_total
    d_v = q / v - (px + q) / (v + x * m)
    return np.column_stack((d_p, d_q, d_v))


def _unpack_gg(params: tuple[float, float, float] | GammaGammaParams) -> tuple[float, ...]:
    if isinstance(params, GammaGammaParams):
        return (params.p, params.q, params.v)
    return tuple(float(v) for v in params)


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    initial: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters p, q, v on the customers with x > 0 and
    a positive mean spend (the others are left out, as the model requires)."""
    x, m = _arrays(frequency, monetary_value)
    if len(x) != len(m):
        raise ValueError("frequency and monetary_value must have the same length")
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if len(x) == 0:
        raise ValueError("no repeat customers to fit")
    (ux, um), weights = _collapse(x, m)
    total = weights.sum()

    def neg_ll(p: FloatArray) -> float:
        return -float(np.dot(weights, gamma_gamma_log_likelihood(tuple(p), ux, um))) / total

    def gradient(p: FloatArray) -> FloatArray:
        return -(weights @ gamma_gamma_log_likelihood_gradient(tuple(p), ux, um)) / total

    start = np.log(np.array(initial, dtype=np.float64))
    if initial[2] == 1.0:
        start[2] = np.log(max(float(np.mean(m)), 1e-6))
    est, value, converged = _maximise(neg_ll, start, 3, gradient)
    return GammaGammaParams(
        p=float(est[0]),
        q=float(est[1]),
        v=float(est[2]),
        log_likelihood=float(-value * total),
        n=int(total),
        converged=converged,
    )


def expected_average_value(
    params: GammaGammaParams | tuple[float, float, float],
    frequency: ArrayLike,
    monetary_value: ArrayLike,
) -> FloatArray:
    """E[spend per purchase | x, m_x] = (q−1)/(px+q−1) · p·v/(q−1) + px/(px+q−1) · m_x:
    a weighted mean of the population mean and the customer's own mean. Customers with
    x = 0 get the population mean p·v/(q−1)."""
    p, q, v = _unpack_gg(params)
    x, m = _arrays(frequency, monetary_value)
    x = np.where(m > 0, x, 0.0)
    px = p * x
    return np.asarray((p * (v + x * np.maximum(m, 0.0))) / (px + q - 1), dtype=np.float64)


def sample_gamma_gamma(
    params: GammaGammaParams | tuple[float, float, float],
    frequency: ArrayLike,
    rng: np.random.Generator,
) -> FloatArray:
    """Draw mean repeat spend m_x for customers with `frequency` repeat purchases."""
    p, q, v = _unpack_gg(params)
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(q, 1.0 / v, len(x))
    safe_x = np.maximum(x, 1)
    mean = rng.gamma(p * safe_x, 1.0 / (safe_x * nu))
    return np.where(x > 0, mean, 0.0)


# --------------------------------------------------------------------------- CLV


def lifetime_value(
    bg: BgNbdParams | tuple[float, float, float, float],
    gg: GammaGammaParams | tuple[float, float, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    months: int = 12,
    monthly_discount: float = 0.01,
    periods_per_month: float = DAYS_PER_MONTH / 7,
) -> FloatArray:
    """Discounted expected value of the next `months` months:

    Σ_{i=1..months} E[spend] · (E[Y(i·k)] − E[Y((i−1)·k)]) / (1 + d)^i,

    k = `periods_per_month` (4.348 weeks by default), d = `monthly_discount`, E[spend] from
    `expected_average_value`, E[Y] from `expected_purchases`.
    """
    spend = expected_average_value(gg, frequency, monetary_value)
    x, t_x, age = _arrays(frequency, recency, T)
    value = np.zeros_like(x)
    previous = np.zeros_like(x)
    for i in range(1, int(months) + 1):
        current = expected_purchases(bg, i * periods_per_month, x, t_x, age)
        value += spend * (current - previous) / (1.0 + monthly_discount) ** i
        previous = current
    return value


# --------------------------------------------------------------------------- model check


def calibration_holdout(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    amounts: ArrayLike,
    calibration_end: Any,
    observation_end: Any,
    period_days: int = 7,
    merge_days: int | None = None,
    params: BgNbdParams | None = None,
) -> dict[str, Any]:
    """Fit BG/NBD on the purchases up to `calibration_end` and compare its predictions
    with what happened up to `observation_end` (FHL 2005 figures 1–3).

    Returns chart-ready data (plain lists, JSON-serialisable):
    - `params`: the calibration fit;
    - `by_frequency`: per calibration frequency 0…6 and "7+", the customers, their mean
      actual repeat purchases in the holdout and the mean the model predicted;
    - `cumulative`: per period from the first purchase to `observation_end`, the actual and
      the expected cumulative repeat purchases of the customers acquired in calibration;
    - `holdout_periods`, `holdout_actual`, `holdout_predicted` totals and the mean absolute
      error per customer.
    Raises ValueError if the calibration has no customers.
    """
    merge = int(merge_days or period_days)
    ids = np.asarray(customer_ids)
    days = _days(dates)
    amt = np.asarray(amounts, dtype=np.float64)
    cal_day = int(_days([calibration_end])[0])
    end_day = int(_days([observation_end])[0])
    if end_day <= cal_day:
        raise ValueError("observation_end must be after calibration_end")
    keep = days <= end_day
    ids, days, amt = ids[keep], days[keep], amt[keep]

    cal = summarise(ids, days.astype("datetime64[D]"), amt, calibration_end, period_days, merge)
    if len(cal) == 0:
        raise ValueError("no purchases in the calibration period")
    fitted = params or fit_bgnbd(cal.frequency, cal.recency, cal.T)
    full = summarise(ids, days.astype("datetime64[D]"), amt, observation_end, period_days, merge)
    # Customers of the calibration cohort, aligned with `cal` (both sorted by id).
    in_cohort = np.isin(full.customer_ids, cal.customer_ids)
    actual = full.frequency[in_cohort] - cal.frequency
    holdout = (end_day - cal_day) / period_days
    predicted = expected_purchases(fitted, holdout, cal.frequency, cal.recency, cal.T)

    bucket = np.minimum(cal.frequency, FREQUENCY_BUCKETS - 1).astype(int)
    counts = np.bincount(bucket, minlength=FREQUENCY_BUCKETS)
    sum_actual = np.bincount(bucket, weights=actual, minlength=FREQUENCY_BUCKETS)
    sum_pred = np.bincount(bucket, weights=predicted, minlength=FREQUENCY_BUCKETS)
    by_frequency = []
    for k in range(FREQUENCY_BUCKETS):
        label = f"{k}+" if k == FREQUENCY_BUCKETS - 1 else str(k)
        n = int(counts[k])
        by_frequency.append(
            {
                "frequency": label,
                "customers": n,
                "actual": float(sum_actual[k] / n) if n else None,
                "predicted": float(sum_pred[k] / n) if n else None,
            }
        )

    cumulative = _cumulative_tracking(fitted, ids, days, cal, cal_day, end_day, period_days, merge)
    return {
        "params": fitted.as_dict(),
        "period_days": period_days,
        "calibration_end": str(np.datetime64(cal_day, "D")),
        "observation_end": str(np.datetime64(end_day, "D")),
        "holdout_periods": float(holdout),
        "customers": len(cal),
        "holdout_actual": float(actual.sum()),
        "holdout_predicted": float(predicted.sum()),
        "mean_absolute_error": float(np.mean(np.abs(actual - predicted))),
        "by_frequency": by_frequency,
        "cumulative": cumulative,
    }


def _cumulative_tracking(
    fitted: BgNbdParams,
    ids: NDArray[Any],
    days: NDArray[np.int64],
    cal: Summary,
    cal_day: int,
    end_day: int,
    period_days: int,
    merge: int,
) -> dict[str, Any]:
    """Cumulative repeat purchases of the calibration cohort, actual vs expected, at the
    end of each period (FHL 2005 figure 1)."""
    first_days = cal.first_day.astype(np.int64)
    start = int(first_days.min())
    edges = np.arange(start + period_days, end_day + period_days, period_days)
    edges = np.minimum(edges, end_day)
    edges = np.unique(edges)

    # Actual: the cohort's transactions (merged per bucket) other than each first one.
    cohort = np.isin(ids, cal.customer_ids)
    c_ids, c_days = ids[cohort], days[cohort]
    _, cust = np.unique(c_ids, return_inverse=True)
    bucket = _bucket(c_days, merge)
    order = np.lexsort((c_days, bucket, cust))
    cust, bucket, c_days = cust[order], bucket[order], c_days[order]
    new_row = np.ones(len(cust), dtype=bool)
    new_row[1:] = (cust[1:] != cust[:-1]) | (bucket[1:] != bucket[:-1])
    t_cust, t_day = cust[new_row], c_days[new_row]
    is_first = np.ones(len(t_cust), dtype=bool)
    is_first[1:] = t_cust[1:] != t_cust[:-1]
    repeat_days = np.sort(t_day[~is_first])
    actual = np.searchsorted(repeat_days, edges, side="right").astype(np.float64)

    # Expected: Σ over acquisition days of n_d · E[X(edge − d)] (unconditional, eq. 9).
    births, n_births = np.unique(first_days, return_counts=True)
    expected = np.zeros(len(edges))
    for birth, n in zip(births, n_births, strict=True):
        elapsed = (edges - birth) / period_days
        expected += n * expected_purchases_new_customer(fitted, np.maximum(elapsed, 0.0))
    return {
        "dates": [str(np.datetime64(int(d), "D")) for d in edges],
        "periods": [float((d - start) / period_days) for d in edges],
        "actual": actual.tolist(),
        "expected": expected.tolist(),
        "calibration_end": str(np.datetime64(cal_day, "D")),
    }


def score(
    bg: BgNbdParams | tuple[float, float, float, float],
    gg: GammaGammaParams | tuple[float, float, float] | None,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    horizons_months: tuple[int, ...] = (3, 6, 12),
    monthly_discount: float = 0.01,
    periods_per_month: float = DAYS_PER_MONTH / 7,
) -> dict[str, FloatArray]:
    """Everything a customer page shows, for many customers at once.

    Keys: `p_alive`; `expected_purchases_{n}m` (undiscounted expected purchases in the next
    n months); with a spend model `gg`: `expected_average_value` and `expected_value_{n}m`
    (`lifetime_value` over n months, discounted monthly by `monthly_discount`).
    """
    x, t_x, age, m = _arrays(frequency, recency, T, monetary_value)
    # The purchase model's figures depend on (x, t_x, T) only, and real dates repeat a lot:
    # evaluate them once per distinct row. Spend multiplies in at the end.
    unique, inverse = np.unique(np.column_stack((x, t_x, age)), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    ux, ut, uT = unique[:, 0], unique[:, 1], unique[:, 2]
    out: dict[str, FloatArray] = {"p_alive": probability_alive(bg, ux, ut, uT)[inverse]}
    # One pass over the months: expected purchases at each month end, and the discounted
    # purchases Σ (E[Y(i)] − E[Y(i−1)]) / (1+d)^i (the same sum as `lifetime_value`).
    discounted = np.zeros_like(ux)
    previous = np.zeros_like(ux)
    per_horizon: dict[int, tuple[FloatArray, FloatArray]] = {}
    for month in range(1, max(horizons_months, default=0) + 1):
        current = expected_purchases(bg, month * periods_per_month, ux, ut, uT)
        discounted = discounted + (current - previous) / (1.0 + monthly_discount) ** month
        previous = current
        if month in horizons_months:
            per_horizon[month] = (current, discounted)
    for months in horizons_months:
        out[f"expected_purchases_{months}m"] = per_horizon[months][0][inverse]
    if gg is not None:
        spend = expected_average_value(gg, x, m)
        out["expected_average_value"] = spend
        for months in horizons_months:
            out[f"expected_value_{months}m"] = spend * per_horizon[months][1][inverse]
    return out
