"""API of the dashboard and the person page; mounted by guanxi/api/api.py.

GET /analytics/dashboard: the dashboard's figures for the caller (the same selectors as
the page, so the same visibility). GET /analytics/people/{user_id}: one salesperson's
attainment and gap per target, trend, pipeline and top customers (404 for a person the
caller may not see). Period: `period` = month | quarter | year | last12 | custom, with
`start` and `end` (inclusive) for custom; bad input is a 422 with field errors.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from guanxi.analytics import dashboard_selectors as sel
from guanxi.analytics.registrations import ANALYTICS
from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.core.permissions import VIEW, require_perm

router = Router(tags=["analytics"])


def _membership(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class PeriodIn(Schema):
    period: Literal["month", "quarter", "year", "last12", "custom"] = "month"
    start: datetime.date | None = None
    end: datetime.date | None = None


class PeriodOut(Schema):
    key: str
    start: datetime.date
    end: datetime.date  # inclusive


class DashboardAttainmentOut(Schema):
    period: str
    year: int
    number: int
    target: Decimal | None
    attained: Decimal
    gap: Decimal | None
    percent: int | None


class RankedOut(Schema):
    id: int
    name: str
    amount: Decimal


class TrendOut(Schema):
    start: datetime.date
    amount: Decimal


class DashboardStageOut(Schema):
    stage_id: int
    name: str
    probability: int
    count: int
    amount: Decimal
    weighted: Decimal


class BucketOut(Schema):
    key: str
    label: str
    count: int


class DashboardOut(Schema):
    period: PeriodOut
    scope: str
    revenue: Decimal
    deliveries: int
    gross_profit: Decimal
    attainment: list[DashboardAttainmentOut]
    trend_unit: Literal["day", "month"]
    trend: list[TrendOut]
    top_products: list[RankedOut]
    top_salespeople: list[RankedOut]
    new_customers: int
    lapsed_in_period: int
    lapsed_customers: int
    lapsed_days: int
    pipeline: list[DashboardStageOut]
    customers_by_province: list[BucketOut]
    customers_by_age_band: list[BucketOut]


class PersonOut(Schema):
    user_id: int
    name: str
    team: str | None
    period: PeriodOut
    current: list[DashboardAttainmentOut]
    targets: list[DashboardAttainmentOut]
    revenue: Decimal
    trend_unit: Literal["day", "month"]
    trend: list[TrendOut]
    pipeline: list[DashboardStageOut]
    top_customers: list[RankedOut]


def _period(query: PeriodIn) -> sel.Period:
    return sel.resolve_period(query.period, query.start, query.end)


def _period_out(period: sel.Period) -> dict[str, Any]:
    return {"key": period.key, "start": period.start, "end": period.last_day}


def _attainment(a: Any) -> dict[str, Any]:
    return {
        "period": a.period,
        "year": a.year,
        "number": a.number,
        "target": a.target,
        "attained": a.attained,
        "gap": a.gap,
        "percent": a.percent,
    }


def _ranked(rows: list[sel.Ranked]) -> list[dict[str, Any]]:
    return [{"id": r.key, "name": r.label, "amount": r.amount} for r in rows]


def _trend(points: list[sel.TrendPoint]) -> list[dict[str, Any]]:
    return [{"start": p.day, "amount": p.amount} for p in points]


def _stages(rows: list[sel.StageRow]) -> list[dict[str, Any]]:
    return [vars(r) for r in rows]


def _buckets(rows: list[sel.Bucket]) -> list[dict[str, Any]]:
    return [vars(r) for r in rows]


@router.get(
    "/analytics/dashboard",
    response={200: DashboardOut, **error_responses(*AUTH_ERRORS, 422)},
)
def get_dashboard(request: HttpRequest, query: Query[PeriodIn]) -> dict[str, Any]:
    """The dashboard's figures for the caller's visibility in the period."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    data = sel.dashboard(membership, _period(query))
    return {
        "period": _period_out(data.period),
        "scope": data.scope,
        "revenue": data.revenue,
        "deliveries": data.deliveries,
        "gross_profit": data.gross_profit,
        "attainment": [_attainment(a) for a in data.attainment],
        "trend_unit": data.trend_unit,
        "trend": _trend(data.trend),
        "top_products": _ranked(data.products),
        "top_salespeople": _ranked(data.people),
        "new_customers": data.new_customers,
        "lapsed_in_period": data.lapsed_in_period,
        "lapsed_customers": data.lapsed_total,
        "lapsed_days": sel.LAPSED_DAYS,
        "pipeline": _stages(data.pipeline),
        "customers_by_province": _buckets(data.regions),
        "customers_by_age_band": _buckets(data.ages),
    }


@router.get(
    "/analytics/people/{user_id}",
    response={200: PersonOut, **error_responses(*AUTH_ERRORS, 404, 422)},
)
def get_person(request: HttpRequest, user_id: int, query: Query[PeriodIn]) -> dict[str, Any]:
    """One salesperson's summary: a sales user sees only their own (others are 404)."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    summary = sel.person_summary(membership, user_id, _period(query))
    person = summary.person
    return {
        "user_id": person.user_id,
        "name": str(person.user),
        "team": str(person.team) if person.team else None,
        "period": _period_out(summary.period),
        "current": [_attainment(a) for a in summary.current],
        "targets": [_attainment(a) for a in summary.targets],
        "revenue": summary.revenue,
        "trend_unit": summary.trend_unit,
        "trend": _trend(summary.trend),
        "pipeline": _stages(summary.pipeline),
        "top_customers": _ranked(summary.customers),
    }
