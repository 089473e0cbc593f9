"""REST API of the lifetime-value model: the fit in use (parameters, status, model-check
data), a refit, and the customers with the highest expected value.

Same rules as the page, through the same services and selectors: analytics VIEW to read,
CHANGE to refit; customer rows follow the customers' visibility; bad input is a 422 with
field errors.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from guanxi.analytics import clv_selectors as sel
from guanxi.analytics import clv_services as svc
from guanxi.analytics.models import ClvModelFit, CustomerMetrics
from guanxi.analytics.registrations import ANALYTICS
from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.core.permissions import CHANGE, VIEW, require_perm

router = Router(tags=["analytics"])

if TYPE_CHECKING:
    FitStatus = str
else:
    FitStatus = Literal[tuple(ClvModelFit.Status.values)]


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# --- schemas ------------------------------------------------------------------------------


class BgNbdOut(Schema):
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float | None
    purchases_per_week: float | None = Field(
        description="Mean purchase rate while active, r/alpha."
    )
    dropout_probability: float | None = Field(
        description="Mean chance of dropping out after a repeat purchase, a/(a+b)."
    )


class GammaGammaOut(Schema):
    p: float
    q: float
    v: float
    log_likelihood: float | None
    mean_spend: float | None = Field(description="Mean value per purchase, p·v/(q−1).")


class FrequencyBucketOut(Schema):
    frequency: str = Field(description="Repeat purchases in calibration: 0 … 6, or 7+.")
    customers: int
    actual: float | None = Field(description="Mean repeat purchases in the holdout.")
    predicted: float | None = Field(description="What the calibration fit predicted.")


class TrackingOut(Schema):
    dates: list[datetime.date]
    actual: list[float]
    expected: list[float]


class CalibrationOut(Schema):
    available: bool = False
    reason: str = ""
    period_days: int = 7
    holdout_start: datetime.date | None = None
    holdout_periods: float | None = None
    customers: int | None = None
    holdout_actual: float | None = None
    holdout_predicted: float | None = None
    mean_absolute_error: float | None = None
    by_frequency: list[FrequencyBucketOut] = []
    cumulative: TrackingOut | None = None


class ClvFitOut(Schema):
    id: int
    fitted_at: datetime.datetime
    status: FitStatus
    message: str
    n_customers: int
    observation_end: datetime.date
    holdout_start: datetime.date | None
    bgnbd: BgNbdOut | None
    gamma_gamma: GammaGammaOut | None
    calibration: CalibrationOut


class RefitIn(Schema):
    observation_end: datetime.date | None = Field(
        None, description="Fit on the purchases up to this day (default: today)."
    )


class TopCustomerOut(Schema):
    id: int
    name: str
    frequency: int
    p_alive: float | None
    expected_purchases_12m: float | None
    expected_value_12m: Decimal


class TopQuery(Schema):
    limit: int = Field(sel.TOP_CUSTOMERS, ge=1, le=100)


def fit_out(fit: ClvModelFit) -> dict[str, Any]:
    summary = sel.fit_summary(fit)
    bg = gg = None
    if None not in (fit.r, fit.alpha, fit.a, fit.b):
        bg = {
            "r": fit.r,
            "alpha": fit.alpha,
            "a": fit.a,
            "b": fit.b,
            "log_likelihood": fit.bgnbd_log_likelihood,
            "purchases_per_week": summary["purchases_per_week"],
            "dropout_probability": summary["dropout_probability"],
        }
    if None not in (fit.p, fit.q, fit.v):
        gg = {
            "p": fit.p,
            "q": fit.q,
            "v": fit.v,
            "log_likelihood": fit.gg_log_likelihood,
            "mean_spend": summary["mean_spend"],
        }
    calibration = dict(fit.calibration or {})
    cumulative = calibration.get("cumulative")
    if cumulative:
        calibration["cumulative"] = {
            "dates": cumulative["dates"],
            "actual": cumulative["actual"],
            "expected": cumulative["expected"],
        }
    calibration["reason"] = str(calibration.get("reason") or "")
    return {
        "id": fit.pk,
        "fitted_at": fit.fitted_at,
        "status": fit.status,
        "message": fit.message,
        "n_customers": fit.n_customers,
        "observation_end": fit.observation_end,
        "holdout_start": fit.holdout_start,
        "bgnbd": bg,
        "gamma_gamma": gg,
        "calibration": calibration,
    }


# --- operations ---------------------------------------------------------------------------


@router.get("/analytics/clv/model", response={200: ClvFitOut, **error_responses(*AUTH_ERRORS, 404)})
def get_clv_model(request: HttpRequest) -> dict[str, Any]:
    """The lifetime-value model fit in use (the latest); 404 before the first fit."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    fit = sel.latest_fit(membership.org)
    if fit is None:
        raise Http404
    return fit_out(fit)


@router.post(
    "/analytics/clv/model/refit",
    response={201: ClvFitOut, **error_responses(*AUTH_ERRORS, 422)},
)
def refit_clv_model(request: HttpRequest, payload: RefitIn | None = None) -> Status[dict[str, Any]]:
    """Fit the model now on the purchases up to `observation_end` (default today). The new
    fit is answered whatever its status (ok, insufficient_data or failed)."""
    membership = _membership(request)
    require_perm(membership, CHANGE, ANALYTICS)
    fit = svc.refit(
        membership.org,
        actor=request.user,
        observation_end=payload.observation_end if payload else None,
    )
    return Status(201, fit_out(fit))


@router.get(
    "/analytics/clv/top-customers",
    response={200: list[TopCustomerOut], **error_responses(*AUTH_ERRORS, 422)},
)
def top_customers(request: HttpRequest, query: Query[TopQuery]) -> list[dict[str, Any]]:
    """The visible customers with the highest expected value over the next 12 months (as
    stored by the latest metrics refresh)."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    rows: list[CustomerMetrics] = list(sel.top_customers(membership, query.limit))
    return [
        {
            "id": m.party_id,
            "name": m.party.name,
            "frequency": m.frequency,
            "p_alive": m.p_alive,
            "expected_purchases_12m": m.expected_purchases_12m,
            "expected_value_12m": m.expected_value_12m,
        }
        for m in rows
    ]
