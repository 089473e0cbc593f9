"""REST API of the customer metrics: one customer's metrics, the metrics list and the
churn-risk list (filtered, keyset-paged), refreshes and their status, the analysis
settings, and the visit plan.

Same rules as the pages, through the same selectors and services: the analytics VIEW
permission to read, CHANGE to refresh or change the settings; a customer the caller may
not see is a 404 (or a field error in a visit plan); bad input is a 422 with field errors.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from guanxi.analytics import metrics_selectors as sel
from guanxi.analytics import metrics_services as svc
from guanxi.analytics.models import (
    AnalyticsSettings,
    CustomerMetrics,
    LifecycleStage,
    MetricsRun,
    RfmSegment,
    ValueQuadrant,
    ValueTier,
)
from guanxi.analytics.registrations import ANALYTICS
from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.api.pagination import paginate_keyset
from guanxi.core.permissions import ADD, CHANGE, VIEW, require_perm

router = Router(tags=["analytics"])


def _choices(choices: Any) -> Any:
    return Literal[tuple(choices.values)]


if TYPE_CHECKING:
    Segment = str
    Tier = str
    Quadrant = str
    Stage = str
    TierMethod = str
    RunStatus = str
else:
    Segment = _choices(RfmSegment)
    Tier = _choices(ValueTier)
    Quadrant = _choices(ValueQuadrant)
    Stage = _choices(LifecycleStage)
    TierMethod = _choices(AnalyticsSettings.TierMethod)
    RunStatus = _choices(MetricsRun.Status)


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# --- schemas ------------------------------------------------------------------------------


class MetricsCustomerOut(Schema):
    id: int
    name: str
    owner_id: int | None


class CustomerMetricsOut(Schema):
    customer: MetricsCustomerOut
    computed_at: datetime.datetime
    first_purchase: datetime.date | None
    last_purchase: datetime.date | None
    recency_days: int | None
    frequency: int
    monetary: Decimal
    gross_profit: Decimal
    average_order_value: Decimal
    r_score: int | None
    f_score: int | None
    m_score: int | None
    rfm_segment: str
    value_tier: str
    value_quadrant: str
    lifecycle_stage: str
    churn_risk: float | None
    purchase_rate_drop: float | None
    p_alive: float | None
    expected_purchases_3m: float | None
    expected_purchases_6m: float | None
    expected_purchases_12m: float | None
    expected_value_3m: Decimal | None
    expected_value_6m: Decimal | None
    expected_value_12m: Decimal | None
    expected_average_value: Decimal | None

    @staticmethod
    def resolve_customer(obj: CustomerMetrics) -> dict[str, Any]:
        return {"id": obj.party_id, "name": obj.party.name, "owner_id": obj.party.owner_id}


class MetricsFilterIn(Schema):
    segment: Segment | None = None
    tier: Tier | None = None
    quadrant: Quadrant | None = None
    stage: Stage | None = None
    owner_id: int | None = None
    q: str | None = Field(None, max_length=100)


class ChurnFilterIn(Schema):
    segment: Segment | None = None
    tier: Tier | None = None
    owner_id: int | None = None


class MetricsRunOut(Schema):
    id: int
    status: RunStatus
    progress: int
    step: str
    customers: int
    error: str
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


class SettingsOut(Schema):
    tier_method: TierMethod
    tier_vip_percent: Decimal
    tier_major_percent: Decimal
    tier_ordinary_percent: Decimal
    quadrant_value_threshold: Decimal | None
    quadrant_frequency_threshold: int | None
    lapse_days: int
    terminated_days: int
    decline_drop: float
    maturity_purchases: int
    maturity_days: int
    churn_weight: float
    churn_threshold: float


class SettingsIn(Schema):
    tier_method: TierMethod | None = None
    tier_vip_percent: Decimal | None = None
    tier_major_percent: Decimal | None = None
    tier_ordinary_percent: Decimal | None = None
    quadrant_value_threshold: Decimal | None = None
    quadrant_frequency_threshold: int | None = None
    lapse_days: int | None = None
    terminated_days: int | None = None
    decline_drop: float | None = None
    maturity_purchases: int | None = None
    maturity_days: int | None = None
    churn_weight: float | None = None
    churn_threshold: float | None = None


class PlanVisitsIn(Schema):
    customer_ids: list[int] = Field(..., max_length=500)
    due_date: datetime.date
    note: str = Field("", max_length=2000)


class PlannedVisitOut(Schema):
    id: int
    customer_id: int
    owner_id: int | None
    subject: str
    due_at: datetime.datetime | None


class PlanVisitsOut(Schema):
    created: list[PlannedVisitOut]


# --- helpers ------------------------------------------------------------------------------


def _filters(**values: Any) -> sel.Filters:
    owner = values.pop("owner_id", None)
    return sel.Filters(**{k: v or "" for k, v in values.items()}, owner=str(owner) if owner else "")


# --- operations ---------------------------------------------------------------------------


@router.get(
    "/analytics/metrics",
    response={200: list[CustomerMetricsOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset("-monetary", "-id")
def list_metrics(
    request: HttpRequest, filters: Query[MetricsFilterIn]
) -> QuerySet[CustomerMetrics]:
    """Metrics of the customers the caller may see, largest net sales first."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    return sel.apply_filters(
        sel.visible_metrics(membership), _filters(**filters.model_dump()), membership
    )


@router.get(
    "/analytics/metrics/customers/{customer_id}",
    response={200: CustomerMetricsOut, **error_responses(*AUTH_ERRORS, 404)},
)
def get_customer_metrics(request: HttpRequest, customer_id: int) -> CustomerMetrics:
    """One customer's metrics; 404 for a customer the caller may not see or not yet computed."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    found = sel.party_metrics(membership, customer_id)
    if found is None:
        raise Http404
    return found


@router.get(
    "/analytics/churn-risk",
    response={200: list[CustomerMetricsOut], **error_responses(*AUTH_ERRORS, 400, 422)},
)
@paginate_keyset("-churn_risk", "-id")
def list_churn_risk(
    request: HttpRequest, filters: Query[ChurnFilterIn]
) -> QuerySet[CustomerMetrics]:
    """Customers at or above the organisation's churn-risk threshold, riskiest first."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    config = svc.get_settings(membership.org_id)
    return sel.apply_filters(
        sel.visible_metrics(membership), _filters(**filters.model_dump()), membership
    ).filter(churn_risk__gte=config.churn_threshold)


@router.post(
    "/analytics/churn-risk/plan-visits",
    response={201: PlanVisitsOut, **error_responses(*AUTH_ERRORS, 422)},
)
def plan_visits(request: HttpRequest, payload: PlanVisitsIn) -> Status[dict[str, Any]]:
    """One visit task per customer (assignee: the customer's owner), all or none."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    require_perm(membership, ADD, "activity")
    created = svc.plan_visits(
        org=membership.org,
        actor=request.user,
        membership=membership,
        party_ids=payload.customer_ids,
        due_date=payload.due_date,
        note=payload.note,
    )
    return Status(
        201,
        {
            "created": [
                {
                    "id": a.pk,
                    "customer_id": a.party_id,
                    "owner_id": a.owner_id,
                    "subject": a.subject,
                    "due_at": a.due_at,
                }
                for a in created
            ]
        },
    )


@router.post(
    "/analytics/metrics/refresh", response={202: MetricsRunOut, **error_responses(*AUTH_ERRORS)}
)
def refresh_metrics(request: HttpRequest) -> Status[MetricsRun]:
    """Queue a refresh of every customer's metrics (or return the one already under way)."""
    membership = _membership(request)
    require_perm(membership, CHANGE, ANALYTICS)
    return Status(202, svc.start_refresh(org=membership.org, actor=request.user))


@router.get(
    "/analytics/metrics/runs/{run_id}",
    response={200: MetricsRunOut, **error_responses(*AUTH_ERRORS, 404)},
)
def get_run(request: HttpRequest, run_id: int) -> MetricsRun:
    """A refresh's status and progress (0–100)."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    run = MetricsRun.objects.filter(org_id=membership.org_id, pk=run_id).first()
    if run is None:
        raise Http404
    return run


@router.get(
    "/analytics/metrics/settings", response={200: SettingsOut, **error_responses(*AUTH_ERRORS)}
)
def get_settings(request: HttpRequest) -> AnalyticsSettings:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    return svc.get_settings(membership.org_id)


@router.put(
    "/analytics/metrics/settings",
    response={200: SettingsOut, **error_responses(*AUTH_ERRORS, 422)},
)
def put_settings(request: HttpRequest, payload: SettingsIn) -> AnalyticsSettings:
    """Change the settings given (others keep their value); 422 with field errors."""
    membership = _membership(request)
    require_perm(membership, CHANGE, ANALYTICS)
    data = payload.model_dump(exclude_unset=True)
    return svc.update_settings(org=membership.org_id, actor=request.user, data=data)
