"""Reads of the lifetime-value page and API: the fit in use, what its parameters mean,
its model-check charts, and the customers with the highest expected value.

Customer rows come from the stored customer metrics (the nightly refresh scores every
customer with the latest fit) and follow the visibility of the customers ("party").
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from guanxi.analytics.clv_services import latest_fit
from guanxi.analytics.metrics_selectors import visible_metrics
from guanxi.analytics.models import ClvModelFit, CustomerMetrics
from guanxi.core.permissions import MembershipLike

TOP_CUSTOMERS = 20

__all__ = ["TOP_CUSTOMERS", "fit_summary", "holdout_chart", "latest_fit", "top_customers",
           "tracking_chart"]  # fmt: skip


def top_customers(
    membership: MembershipLike | None, limit: int = TOP_CUSTOMERS
) -> QuerySet[CustomerMetrics]:
    """Visible customers by expected value over the next 12 months (highest first)."""
    return (
        visible_metrics(membership)
        .filter(expected_value_12m__isnull=False)
        .order_by(F("expected_value_12m").desc(), "party_id")[:limit]
    )


def fit_summary(fit: ClvModelFit) -> dict[str, Any]:
    """Derived figures of a fit that a person can read (None where the fit has none).

    - `purchases_per_week`: mean purchase rate of active customers, r/alpha;
    - `dropout_probability`: mean chance of dropping out after a purchase, a/(a+b);
    - `mean_spend`: population mean spend per purchase, p·v/(q−1) (q > 1).
    """
    out: dict[str, Any] = {
        "purchases_per_week": None,
        "purchases_per_year": None,
        "dropout_probability": None,
        "mean_spend": None,
    }
    if fit.r is not None and fit.alpha:
        out["purchases_per_week"] = fit.r / fit.alpha
        out["purchases_per_year"] = fit.r / fit.alpha * 365.25 / 7
    if fit.a is not None and fit.b is not None and fit.a + fit.b > 0:
        out["dropout_probability"] = fit.a / (fit.a + fit.b)
    if fit.p is not None and fit.q is not None and fit.v is not None and fit.q > 1:
        out["mean_spend"] = fit.p * fit.v / (fit.q - 1)
    return out


def holdout_chart(calibration: dict[str, Any]) -> dict[str, Any] | None:
    """ECharts options: mean holdout purchases per calibration frequency, actual vs model."""
    buckets = calibration.get("by_frequency") or []
    if not calibration.get("available") or not buckets:
        return None
    return {
        "grid": {"left": 8, "right": 16, "top": 40, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "xAxis": {
            "type": "category",
            "name": _("Purchases in calibration"),
            "nameLocation": "middle",
            "nameGap": 28,
            "data": [b["frequency"] for b in buckets],
        },
        "yAxis": {"type": "value", "name": _("Purchases in holdout (mean)")},
        "series": [
            {
                "type": "bar",
                "name": _("Actual"),
                "data": [_round(b["actual"]) for b in buckets],
            },
            {
                "type": "bar",
                "name": _("Model"),
                "data": [_round(b["predicted"]) for b in buckets],
            },
        ],
    }


def tracking_chart(calibration: dict[str, Any]) -> dict[str, Any] | None:
    """ECharts options: cumulative repeat purchases by week, actual vs model, with the
    start of the holdout marked."""
    cumulative = calibration.get("cumulative") or {}
    if not calibration.get("available") or not cumulative.get("dates"):
        return None
    holdout_start = calibration.get("holdout_start")
    dates = cumulative["dates"]
    mark = next((d for d in dates if holdout_start and d >= holdout_start), None)
    expected: dict[str, Any] = {
        "type": "line",
        "name": _("Model"),
        "showSymbol": False,
        "lineStyle": {"type": "dashed"},
        "data": [_round(v) for v in cumulative["expected"]],
    }
    if mark:
        expected["markLine"] = {
            "symbol": "none",
            "label": {"formatter": _("Holdout starts")},
            "data": [{"xAxis": mark}],
        }
    return {
        "grid": {"left": 8, "right": 16, "top": 40, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "xAxis": {"type": "category", "data": dates},
        "yAxis": {"type": "value", "name": _("Repeat purchases (cumulative)")},
        "series": [
            {
                "type": "line",
                "name": _("Actual"),
                "showSymbol": False,
                "data": [_round(v) for v in cumulative["actual"]],
            },
            expected,
        ],
    }


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)
