"""The lifetime-value model of an organisation: fit it from the sales facts, store the fit.

`fit_clv_model(org)` is the one write: it reads the organisation's purchases
(`facts.purchase_events`: posted deliveries that still stand, net of tax), summarises them
per customer by week, fits BG/NBD + Gamma-Gamma (guanxi.analytics.clv), checks the model
on a calibration/holdout split and saves a `ClvModelFit` whatever the outcome (status
ok / insufficient_data / failed, with a message). The nightly metrics refresh calls it and
then scores every customer with the stored parameters; the page and the API call it for a
refit. `latest_fit` and `customer_summary` are the reads the other parts share.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics import clv, facts
from guanxi.analytics.models import ClvModelFit
from guanxi.core.models import Organisation
from guanxi.core.scoping import org_scope

logger = logging.getLogger(__name__)

# Time unit of the model: weeks; purchases in one calendar week count as one.
PERIOD_DAYS = 7
# Below these the maximum-likelihood estimates are not worth showing.
MIN_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 10
# The holdout is the last third of the history, in whole weeks, between these bounds.
MIN_HOLDOUT_WEEKS = 4
MAX_HOLDOUT_WEEKS = 52
# The nightly refresh refits the model once a week: the parameters describe the whole
# customer base and move little from one day to the next, and the fit with its holdout
# check costs more than the scoring (docs/analytics/clv.md).
REFIT_AFTER_DAYS = 7
# Fits kept per organisation (the latest one is in use; older ones show the trend).
KEEP_FITS = 30
EARLIEST_OBSERVATION_END = datetime.date(2000, 1, 1)


def org_today(org: Organisation) -> datetime.date:
    """Today in the organisation's time zone."""
    zone = ZoneInfo(org.time_zone or "Asia/Shanghai")
    return timezone.localtime(timezone.now(), zone).date()


@dataclass(frozen=True)
class Purchases:
    """An organisation's purchase events up to `end` and their per-customer summary: read
    once, shared by the fit and the scoring of a refresh."""

    ids: np.ndarray
    days: np.ndarray
    amounts: np.ndarray
    end: datetime.date
    summary: clv.Summary


def purchase_arrays(
    org: Organisation, observation_end: datetime.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The organisation's purchases up to `observation_end`: party ids, days, net amounts.

    One query on the raw cursor (days as integers, amounts as floats): the ORM's row
    conversion would cost more than the query itself at millions of purchases.
    """
    with org_scope(org):
        query = (
            facts.purchase_events()
            .filter(org_id=org.pk, date__lte=observation_end)
            .annotate(day=facts.EpochDay("date"), amount=Cast("net", FloatField()))
            .values_list("party_id", "day", "amount")
            .order_by()
        )
        if connection.vendor == "sqlite":
            # In party order SQLite reads the covering index stockdoc_party_sales alone;
            # otherwise it picks the (kind, date) index and fetches every table row
            # (20 s instead of 2 s for 5 million purchases). PostgreSQL would only sort.
            query = query.order_by("party_id")
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    if not rows:
        return (np.zeros(0, dtype=np.int64), np.zeros(0, dtype="datetime64[D]"), np.zeros(0))
    data = np.array(rows, dtype=np.float64)
    return (
        data[:, 0].astype(np.int64),
        data[:, 1].astype(np.int64).astype("datetime64[D]"),
        np.nan_to_num(data[:, 2]),
    )


def load_purchases(org: Organisation, observation_end: datetime.date | None = None) -> Purchases:
    """Read the purchases once and summarise them per customer by week."""
    end = observation_end or org_today(org)
    ids, days, amounts = purchase_arrays(org, end)
    summary = clv.summarise(ids, days, amounts, end, period_days=PERIOD_DAYS)
    return Purchases(ids=ids, days=days, amounts=amounts, end=end, summary=summary)


def customer_summary(
    org: Organisation, observation_end: datetime.date | None = None
) -> clv.Summary:
    """Frequency, recency, age (weeks) and mean repeat spend of every customer who bought."""
    return load_purchases(org, observation_end).summary


def latest_fit(org: Organisation) -> ClvModelFit | None:
    """The fit in use: the organisation's most recent one."""
    with org_scope(org):
        return ClvModelFit.objects.filter(org_id=org.pk).order_by("-fitted_at", "-pk").first()


def needs_refit(fit: ClvModelFit | None, as_of: datetime.date) -> bool:
    """Whether a metrics refresh on `as_of` fits the model again: there is no usable fit,
    or it was fitted on data ending `REFIT_AFTER_DAYS` or more before (or after) `as_of`.
    Otherwise the refresh scores every customer with the fit of this week."""
    if fit is None or fit.status != ClvModelFit.Status.OK:
        return True
    age = (as_of - fit.observation_end).days
    return age < 0 or age >= REFIT_AFTER_DAYS


def fit_params(fit: ClvModelFit | None) -> tuple[clv.BgNbdParams | None, Any]:
    """The stored parameters as clv parameter objects (None where the fit has none)."""
    if (
        fit is None
        or fit.status != ClvModelFit.Status.OK
        or None in (fit.r, fit.alpha, fit.a, fit.b)
    ):
        return None, None
    bg = clv.BgNbdParams(float(fit.r), float(fit.alpha), float(fit.a), float(fit.b))  # type: ignore[arg-type]
    gg = None
    if None not in (fit.p, fit.q, fit.v) and (fit.q or 0) > 1:
        gg = clv.GammaGammaParams(float(fit.p), float(fit.q), float(fit.v))  # type: ignore[arg-type]
    return bg, gg


def _holdout_start(first_day: datetime.date, end: datetime.date) -> datetime.date | None:
    span_weeks = (end - first_day).days // 7
    weeks = min(max(span_weeks // 3, MIN_HOLDOUT_WEEKS), MAX_HOLDOUT_WEEKS)
    if span_weeks < 2 * weeks:
        return None
    return end - datetime.timedelta(days=7 * weeks)


def _calibration(
    ids: np.ndarray,
    days: np.ndarray,
    amounts: np.ndarray,
    end: datetime.date,
) -> tuple[dict[str, Any], datetime.date | None]:
    """Calibration vs holdout data (chart-ready), or the reason it could not be made."""
    first = days.min().astype(datetime.date)
    start = _holdout_start(first, end)
    if start is None:
        return {
            "period_days": PERIOD_DAYS,
            "available": False,
            "reason": _("The purchase history is too short to hold part of it out."),
        }, None
    calibration_end = start - datetime.timedelta(days=1)
    in_cal = days <= np.datetime64(calibration_end, "D")
    cal_customers = np.unique(ids[in_cal])
    repeaters = clv.summarise(
        ids[in_cal], days[in_cal], amounts[in_cal], calibration_end, PERIOD_DAYS
    ).frequency
    if len(cal_customers) < MIN_CUSTOMERS or int((repeaters > 0).sum()) < MIN_REPEAT_CUSTOMERS:
        return {
            "period_days": PERIOD_DAYS,
            "available": False,
            "reason": _("Too few customers bought before the holdout period to check the model."),
        }, start
    result = clv.calibration_holdout(
        ids, days, amounts, calibration_end, end, period_days=PERIOD_DAYS
    )
    result["available"] = True
    result["holdout_start"] = start.isoformat()
    return result, start


def fit_clv_model(
    org: Organisation,
    observation_end: datetime.date | None = None,
    *,
    purchases: Purchases | None = None,
) -> ClvModelFit:
    """Fit BG/NBD + Gamma-Gamma on `org`'s purchases up to `observation_end` (default:
    today in the organisation's time zone) and save the fit; always returns the saved row.
    `purchases` (from `load_purchases`, same end) saves reading them again.

    Not enough customers gives status insufficient_data; a numerical failure gives status
    failed (logged); neither raises, so the nightly refresh carries on.
    """
    if purchases is None or (observation_end is not None and purchases.end != observation_end):
        purchases = load_purchases(org, observation_end)
    end = purchases.end
    ids, days, amounts, summary = (
        purchases.ids,
        purchases.days,
        purchases.amounts,
        purchases.summary,
    )
    n_customers = len(summary)
    n_repeat = int((summary.frequency > 0).sum())
    fields: dict[str, Any] = {
        "n_customers": n_customers,
        "observation_end": end,
        "calibration": {"period_days": PERIOD_DAYS, "repeat_customers": n_repeat},
    }
    if n_customers < MIN_CUSTOMERS or n_repeat < MIN_REPEAT_CUSTOMERS:
        fields["status"] = ClvModelFit.Status.INSUFFICIENT_DATA
        fields["message"] = _(
            "The model needs at least %(customers)d customers, %(repeat)d of whom bought "
            "more than once; there are %(n)d customers and %(n_repeat)d repeat customers."
        ) % {
            "customers": MIN_CUSTOMERS,
            "repeat": MIN_REPEAT_CUSTOMERS,
            "n": n_customers,
            "n_repeat": n_repeat,
        }
        return _save(org, fields)
    try:
        with np.errstate(all="ignore"):
            bg = clv.fit_bgnbd(summary.frequency, summary.recency, summary.T)
            gg = clv.fit_gamma_gamma(summary.frequency, summary.monetary_value)
    except (ValueError, FloatingPointError, ArithmeticError) as exc:
        logger.exception("CLV fit failed for organisation %s", org.pk)
        fields["status"] = ClvModelFit.Status.FAILED
        fields["message"] = _("The model could not be fitted: %(error)s") % {"error": exc}
        return _save(org, fields)
    try:
        with np.errstate(all="ignore"):
            calibration, holdout_start = _calibration(ids, days, amounts, end)
    except (ValueError, FloatingPointError, ArithmeticError) as exc:
        logger.exception("CLV model check failed for organisation %s", org.pk)
        calibration, holdout_start = {"available": False, "reason": str(exc)}, None
    calibration["period_days"] = PERIOD_DAYS
    problems = []
    if not all(np.isfinite([bg.r, bg.alpha, bg.a, bg.b])) or abs(bg.a - 1) < 1e-6:
        problems.append(_("the purchase model has no usable estimate"))
    if not np.isfinite(gg.q) or gg.q <= 1:
        problems.append(_("the spend model is degenerate (q ≤ 1: no finite mean spend)"))
    warnings = []
    if not bg.converged or not gg.converged:
        warnings.append(
            _("The optimiser stopped before it fully converged; treat the figures with care.")
        )
    fields.update(
        r=_finite(bg.r),
        alpha=_finite(bg.alpha),
        a=_finite(bg.a),
        b=_finite(bg.b),
        bgnbd_log_likelihood=_finite(bg.log_likelihood),
        p=_finite(gg.p),
        q=_finite(gg.q),
        v=_finite(gg.v),
        gg_log_likelihood=_finite(gg.log_likelihood),
        holdout_start=holdout_start,
        calibration={**_clean(calibration), "repeat_customers": n_repeat},
    )
    if problems:
        fields["status"] = ClvModelFit.Status.FAILED
        fields["message"] = _("The model could not be fitted: %(error)s") % {
            "error": "; ".join(str(p) for p in problems)
        }
    else:
        fields["status"] = ClvModelFit.Status.OK
        fields["message"] = " ".join(str(w) for w in warnings)
    return _save(org, fields)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _save(org: Organisation, fields: dict[str, Any]) -> ClvModelFit:
    with org_scope(org):
        fit = ClvModelFit.objects.create(org=org, fitted_at=timezone.now(), **fields)
        stale = list(
            ClvModelFit.objects.filter(org_id=org.pk)
            .order_by("-fitted_at", "-pk")
            .values_list("pk", flat=True)[KEEP_FITS:]
        )
        if stale:
            ClvModelFit.objects.filter(org_id=org.pk, pk__in=stale).delete()
    return fit


def refit(
    org: Organisation, actor: Any = None, observation_end: datetime.date | None = None
) -> ClvModelFit:
    """Refit on request (page button, API): `observation_end` may be any past day, so a
    teacher can fit "as of" an earlier date; a future day is refused (field error)."""
    today = org_today(org)
    if observation_end is not None:
        if observation_end > today:
            raise ValidationError(
                {"observation_end": _("The end of observation cannot be in the future.")}
            )
        if observation_end < EARLIEST_OBSERVATION_END:
            raise ValidationError(
                {
                    "observation_end": _("The end of observation must be in %(year)d or later.")
                    % {"year": EARLIEST_OBSERVATION_END.year}
                }
            )
    fit = fit_clv_model(org, observation_end or today)
    logger.info(
        "CLV model refitted for organisation %s by %s: %s",
        org.pk,
        getattr(actor, "pk", None),
        fit.status,
    )
    return fit
