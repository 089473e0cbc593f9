"""API of the sales analysis (chart data): trend, composition, Pareto, funnel, forecast.

The same query parameters as the pages (validated by the same forms: a bad value is a
422 with field errors), the same selectors, the same visibility: figures cover the sales
documents and opportunities the caller may see. Needs VIEW on "analytics".
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from guanxi.analytics import forms_sales as forms
from guanxi.analytics import funnel_selectors as fs
from guanxi.analytics import sales_selectors as sel
from guanxi.analytics.registrations import ANALYTICS
from guanxi.api.errors import AUTH_ERRORS, error_responses
from guanxi.core.permissions import VIEW, require_perm

router = Router(tags=["analytics"])

Period = Literal["last_12_months", "this_month", "this_quarter", "this_year", "custom"]
Grain = Literal["day", "week", "month", "quarter", "year"]
Measure = Literal["net", "profit", "quantity", "purchases"]
Split = Literal["", "customer", "product", "category", "person", "team"]
Dimension = Literal[
    "product",
    "category",
    "customer_category",
    "customer_group",
    "province",
    "city",
    "channel",
    "person",
]
ERRORS: dict[int, Any] = error_responses(*AUTH_ERRORS, 422)


# --- parameters -----------------------------------------------------------------------------


class SalesAnalysisPeriodIn(Schema):
    period: Period | None = Field(
        None, description="A named period up to today; `custom` uses date_from and date_to."
    )
    date_from: datetime.date | None = Field(None, description="First day (custom period).")
    date_to: datetime.date | None = Field(None, description="Last day (custom period).")
    owner: int | None = Field(None, description="A member's user id: their documents only.")
    team: int | None = Field(None, description="A team id: documents of its members.")


class SalesAnalysisFilterIn(SalesAnalysisPeriodIn):
    party: int | None = Field(None, description="A customer id.")
    product: int | None = Field(None, description="A product id.")
    category: int | None = Field(None, description="A product category id (with subcategories).")


class SalesAnalysisTrendIn(SalesAnalysisFilterIn):
    grain: Grain | None = None
    measure: Measure | None = None
    split: Split | None = None


class SalesAnalysisCompositionIn(SalesAnalysisFilterIn):
    dimension: Dimension | None = None
    measure: Measure | None = None
    top: int | None = Field(None, description="Slices shown before 'others' (1–50).")


class SalesAnalysisParetoIn(SalesAnalysisFilterIn):
    subject: Literal["customer", "product"] | None = None
    measure: Literal["net", "profit"] | None = None


class SalesAnalysisFunnelIn(SalesAnalysisPeriodIn):
    pass


class SalesAnalysisForecastIn(SalesAnalysisPeriodIn):
    months: int | None = Field(None, description="Months from this one (1–24).")


def _form(form_class: type[forms.PeriodForm], request: HttpRequest, params: Schema) -> Any:
    membership: Any = getattr(request, "membership", None)
    require_perm(membership, VIEW, ANALYTICS)
    raw = {
        k: (v.isoformat() if isinstance(v, datetime.date) else str(v))
        for k, v in params.model_dump(exclude_none=True).items()
    }
    form = form_class(raw, membership=membership)
    forms.validated(form)
    return membership, form


# --- answers --------------------------------------------------------------------------------


class SalesAnalysisTrendPointOut(Schema):
    bucket: datetime.date
    label: str
    date_from: datetime.date
    date_to: datetime.date
    value: Decimal = Field(description="The chosen measure.")
    net: Decimal
    profit: Decimal
    quantity: Decimal
    purchases: int
    previous: Decimal = Field(description="The measure in the same period last year.")
    change_percent: Decimal | None
    url: str = Field(description="The sales ledger filtered to this point.")


class SalesAnalysisSeriesOut(Schema):
    key: str | None
    label: str
    values: list[Decimal]


class SalesAnalysisTrendOut(Schema):
    date_from: datetime.date
    date_to: datetime.date
    grain: Grain
    measure: Measure
    split: Split
    total: Decimal
    previous_total: Decimal
    points: list[SalesAnalysisTrendPointOut]
    series: list[SalesAnalysisSeriesOut]


class SalesAnalysisSliceOut(Schema):
    key: str | None
    label: str
    value: Decimal
    share: Decimal | None = Field(description="Percent of the total.")
    url: str


class SalesAnalysisCompositionOut(Schema):
    date_from: datetime.date
    date_to: datetime.date
    dimension: Dimension
    measure: Measure
    total: Decimal
    overlapping: bool = Field(description="True for customer groups: shares may overlap.")
    slices: list[SalesAnalysisSliceOut]


class SalesAnalysisParetoRowOut(Schema):
    rank: int
    key: str | None
    label: str
    value: Decimal
    cumulative: Decimal
    cumulative_share: Decimal | None
    count_share: Decimal
    url: str


class SalesAnalysisCurvePointOut(Schema):
    count_share: Decimal
    value_share: Decimal


class SalesAnalysisParetoOut(Schema):
    date_from: datetime.date
    date_to: datetime.date
    subject: Literal["customer", "product"]
    measure: Literal["net", "profit"]
    count: int
    total: Decimal
    top_count: int = Field(description="⌈20% of count⌉")
    top_share: Decimal | None = Field(description="Percent of the total the top 20% bring.")
    rows: list[SalesAnalysisParetoRowOut]
    curve: list[SalesAnalysisCurvePointOut]


class SalesAnalysisStageFunnelOut(Schema):
    stage_id: int
    stage: str
    reached: int
    of_cohort: Decimal | None
    to_next: Decimal | None
    entries: int
    average_days: Decimal | None


class SalesAnalysisPipelineStageOut(Schema):
    stage_id: int
    stage: str
    probability: int
    count: int
    amount: Decimal
    weighted: Decimal


class SalesAnalysisLeadFunnelOut(Schema):
    leads: int
    converted: int
    ordered: int
    conversion_rate: Decimal | None
    order_rate: Decimal | None


class SalesAnalysisFunnelOut(Schema):
    date_from: datetime.date
    date_to: datetime.date
    cohort: int
    won: int
    lost: int
    open: int
    win_rate: Decimal | None
    stages: list[SalesAnalysisStageFunnelOut]
    pipeline: list[SalesAnalysisPipelineStageOut]
    leads: SalesAnalysisLeadFunnelOut


class SalesAnalysisForecastRowOut(Schema):
    month: str = Field(description="YYYY-MM, `overdue` or `none`.")
    count: int
    amount: Decimal
    weighted: Decimal


class SalesAnalysisForecastOut(Schema):
    months: list[SalesAnalysisForecastRowOut]
    overdue: SalesAnalysisForecastRowOut
    undated: SalesAnalysisForecastRowOut
    total_amount: Decimal
    total_weighted: Decimal


def _key(value: Any) -> str | None:
    return None if value is None else str(value)


@router.get("/analytics/sales/trend", response={200: SalesAnalysisTrendOut, **ERRORS})
def sales_trend(request: HttpRequest, params: Query[SalesAnalysisTrendIn]) -> dict[str, Any]:
    """Sales per period bucket, with last year's figure and optional split series."""
    membership, form = _form(forms.TrendForm, request, params)
    data, filters = form.cleaned_data, form.filters()
    t = sel.trend(
        membership, filters, grain=data["grain"], measure=data["measure"], split=data["split"]
    )
    return {
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "grain": t.grain,
        "measure": t.measure,
        "split": t.split,
        "total": t.total(),
        "previous_total": t.previous_total(),
        "points": [
            {
                "bucket": r.bucket,
                "label": r.label,
                "date_from": r.date_from,
                "date_to": r.date_to,
                "value": r.value,
                "net": r.net,
                "profit": r.profit,
                "quantity": r.quantity,
                "purchases": r.purchases,
                "previous": r.previous,
                "change_percent": r.yoy,
                "url": r.url,
            }
            for r in t.rows
        ],
        "series": [{"key": _key(s.key), "label": s.label, "values": s.values} for s in t.series],
    }


@router.get("/analytics/sales/composition", response={200: SalesAnalysisCompositionOut, **ERRORS})
def sales_composition(
    request: HttpRequest, params: Query[SalesAnalysisCompositionIn]
) -> dict[str, Any]:
    """Share of the measure by a dimension: the top slices and the rest as "others"."""
    membership, form = _form(forms.CompositionForm, request, params)
    data, filters = form.cleaned_data, form.filters()
    c = sel.composition(
        membership, filters, dimension=data["dimension"], measure=data["measure"], top=data["top"]
    )
    return {
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "dimension": c.dimension,
        "measure": c.measure,
        "total": c.total,
        "overlapping": c.overlapping,
        "slices": [
            {"key": _key(s.key), "label": s.label, "value": s.value, "share": s.share, "url": s.url}
            for s in c.slices
        ],
    }


@router.get("/analytics/sales/pareto", response={200: SalesAnalysisParetoOut, **ERRORS})
def sales_pareto(request: HttpRequest, params: Query[SalesAnalysisParetoIn]) -> dict[str, Any]:
    """Customers or products ranked by net sales or gross profit, with the cumulative share
    and the top 20%'s share."""
    membership, form = _form(forms.ParetoForm, request, params)
    data, filters = form.cleaned_data, form.filters()
    p = sel.pareto(membership, filters, subject=data["subject"], measure=data["measure"])
    return {
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "subject": p.subject,
        "measure": p.measure,
        "count": p.count,
        "total": p.total,
        "top_count": p.top_count,
        "top_share": p.top_share,
        "rows": [
            {
                "rank": r.rank,
                "key": _key(r.key),
                "label": r.label,
                "value": r.value,
                "cumulative": r.cumulative,
                "cumulative_share": r.cumulative_share,
                "count_share": r.count_share,
                "url": r.url,
            }
            for r in p.rows
        ],
        "curve": [{"count_share": x, "value_share": y} for x, y in p.curve],
    }


@router.get("/analytics/funnel", response={200: SalesAnalysisFunnelOut, **ERRORS})
def funnel(request: HttpRequest, params: Query[SalesAnalysisFunnelIn]) -> dict[str, Any]:
    """Stage-to-stage conversion and time in stage of the opportunities created in the
    period, win rate, the open pipeline by stage, and leads → customers → first order."""
    membership, form = _form(forms.FunnelForm, request, params)
    filters = form.funnel_filters()
    conv = fs.conversion(membership, filters)
    times = {t.stage.pk: t for t in fs.time_in_stage(membership, filters)}
    leads = fs.lead_funnel(membership, filters)
    return {
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "cohort": conv.cohort,
        "won": conv.won,
        "lost": conv.lost,
        "open": conv.open,
        "win_rate": conv.win_rate,
        "stages": [
            {
                "stage_id": r.stage.pk,
                "stage": r.stage.name,
                "reached": r.reached,
                "of_cohort": r.of_cohort,
                "to_next": r.to_next,
                "entries": times[r.stage.pk].entries if r.stage.pk in times else 0,
                "average_days": times[r.stage.pk].average_days if r.stage.pk in times else None,
            }
            for r in conv.rows
        ],
        "pipeline": [
            {
                "stage_id": r.stage.pk,
                "stage": r.stage.name,
                "probability": r.stage.probability,
                "count": r.count,
                "amount": r.amount,
                "weighted": r.weighted,
            }
            for r in fs.pipeline_by_stage(membership, filters)
        ],
        "leads": {
            "leads": leads.leads,
            "converted": leads.converted,
            "ordered": leads.ordered,
            "conversion_rate": leads.conversion_rate,
            "order_rate": leads.order_rate,
        },
    }


def _forecast_row(r: fs.ForecastRow) -> dict[str, Any]:
    return {"month": r.key, "count": r.count, "amount": r.amount, "weighted": r.weighted}


@router.get("/analytics/forecast", response={200: SalesAnalysisForecastOut, **ERRORS})
def forecast(request: HttpRequest, params: Query[SalesAnalysisForecastIn]) -> dict[str, Any]:
    """Open opportunities by expected close month from this month: Σ amount and
    Σ amount × probability; overdue and undated apart."""
    membership, form = _form(forms.FunnelForm, request, params)
    f = fs.forecast(
        membership,
        form.funnel_filters(),
        start=timezone.localdate(),
        months=form.cleaned_data["months"],
    )
    return {
        "months": [_forecast_row(r) for r in f.rows],
        "overdue": _forecast_row(f.overdue),
        "undated": _forecast_row(f.undated),
        "total_amount": f.total_amount,
        "total_weighted": f.total_weighted,
    }
