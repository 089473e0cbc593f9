"""The sales analysis pages: "Sales analysis" (trend H1 and composition H3), "Pareto"
(H11) and "Funnel" (H2).

Views parse the query string with the forms of forms_sales.py, call the selectors and
build the ECharts options here; every chart item carries the URL of the records behind
it (the sales ledger, the customer list or page, the opportunity list). Pages need VIEW
on "analytics"; figures follow the visibility of the documents and opportunities
behind them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from guanxi.analytics import forms_sales as forms
from guanxi.analytics import funnel_selectors as fs
from guanxi.analytics import sales_selectors as sel
from guanxi.analytics.navigation import analytics_context
from guanxi.analytics.registrations import ANALYTICS
from guanxi.core.permissions import VIEW, require_perm

T = "analytics"
PALETTE_PREVIOUS = "#9aa0ac"


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


_context = analytics_context


def _num(value: Decimal | int | None) -> float:
    return float(value or 0)


def _link(form: forms.PeriodForm, **changes: Any) -> str:
    params = {**form.query(), **{k: v for k, v in changes.items() if v is not None}}
    return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


# --- chart options --------------------------------------------------------------------------


def trend_options(trend: sel.Trend, measure_label: str) -> dict[str, Any]:
    labels = [r.label for r in trend.rows]
    legend = []
    series: list[dict[str, Any]] = []
    if trend.series:
        for s in trend.series:
            legend.append(s.label)
            series.append(
                {
                    "type": "bar",
                    "stack": "split",
                    "name": s.label,
                    "data": [
                        {"value": _num(v), **({"url": u} if u else {})}
                        for v, u in zip(s.values, s.urls, strict=True)
                    ],
                }
            )
    else:
        legend.append(measure_label)
        series.append(
            {
                "type": "bar",
                "name": measure_label,
                "data": [{"value": _num(r.value), "url": r.url} for r in trend.rows],
            }
        )
    if trend.measure in ("net", "profit", "quantity", "purchases"):
        name = _("Same period last year")
        legend.append(name)
        series.append(
            {
                "type": "line",
                "name": name,
                "data": [_num(r.previous) for r in trend.rows],
                "lineStyle": {"type": "dashed"},
                "itemStyle": {"color": PALETTE_PREVIOUS},
            }
        )
    return {
        "grid": {"left": 70, "right": 20, "top": 40, "bottom": 40},
        "legend": {"data": legend, "type": "scroll"},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value"},
        "series": series,
    }


def composition_options(comp: sel.Composition) -> dict[str, Any]:
    data = [
        {"name": s.label, "value": _num(s.value), **({"url": s.url} if s.url else {})}
        for s in comp.slices
        if s.value > 0
    ]
    return {
        "legend": {"type": "scroll", "orient": "vertical", "left": 0, "top": 20},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "70%"],
                "center": ["62%", "55%"],
                "data": data,
                "label": {"formatter": "{b}: {d}%"},
            }
        ],
    }


def pareto_options(p: sel.Pareto) -> dict[str, Any]:
    return {
        "grid": {"left": 60, "right": 30, "top": 30, "bottom": 50},
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "value",
            "min": 0,
            "max": 100,
            "name": _("Share of those ranked (%)"),
            "nameLocation": "middle",
            "nameGap": 30,
        },
        "yAxis": {"type": "value", "min": 0, "name": _("cumulative %")},
        "series": [
            {
                "type": "line",
                "name": _("Cumulative share"),
                "showSymbol": False,
                "data": [[_num(x), _num(y)] for x, y in p.curve],
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "lineStyle": {"type": "dashed"},
                    "data": [{"xAxis": 20}, {"yAxis": 80}],
                },
            }
        ],
    }


def pareto_bars(p: sel.Pareto) -> dict[str, Any]:
    rows = p.rows[:20]
    return {
        "grid": {"left": 60, "right": 50, "top": 30, "bottom": 80},
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "category",
            "data": [r.label for r in rows],
            "axisLabel": {"rotate": 40, "width": 90, "overflow": "truncate"},
        },
        "yAxis": [{"type": "value"}, {"type": "value", "max": 100, "min": 0}],
        "series": [
            {
                "type": "bar",
                "name": _("Value"),
                "data": [{"value": _num(r.value), "url": r.url} for r in rows],
            },
            {
                "type": "line",
                "name": _("Cumulative share"),
                "yAxisIndex": 1,
                "data": [_num(r.cumulative_share) for r in rows],
            },
        ],
    }


def funnel_options(conv: fs.Conversion) -> dict[str, Any]:
    data = [{"name": r.stage.name, "value": r.reached, "url": r.url} for r in conv.rows]
    data.append({"name": _("Won"), "value": conv.won})
    return {
        "series": [
            {
                "type": "funnel",
                "sort": "none",
                "left": "10%",
                "width": "80%",
                "minSize": "5%",
                "label": {"formatter": "{b}: {c}"},
                "data": data,
            }
        ]
    }


def forecast_options(f: fs.Forecast) -> dict[str, Any]:
    return {
        "grid": {"left": 70, "right": 20, "top": 40, "bottom": 40},
        "legend": {"data": [_("Amount"), _("Weighted amount")]},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [r.key for r in f.rows]},
        "yAxis": {"type": "value"},
        "series": [
            {
                "type": "bar",
                "name": _("Amount"),
                "data": [{"value": _num(r.amount), "url": r.url} for r in f.rows],
            },
            {
                "type": "bar",
                "name": _("Weighted amount"),
                "data": [{"value": _num(r.weighted), "url": r.url} for r in f.rows],
            },
        ],
    }


# --- pages ----------------------------------------------------------------------------------


def _chips(form: forms.SalesFilterForm) -> list[dict[str, str]]:
    """The customer / product filters that came with the link, each with a link to drop it."""
    chips = []
    if form.party_obj is not None:
        chips.append(
            {
                "label": _("Customer: %(name)s") % {"name": form.party_obj},
                "drop": _link(form, party=""),
            }
        )
    if form.product_obj is not None:
        chips.append(
            {
                "label": _("Product: %(name)s") % {"name": form.product_obj},
                "drop": _link(form, product=""),
            }
        )
    return chips


@login_required
@require_GET
def sales_analysis(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    form = forms.SalesPageForm(request.GET, membership=membership)
    context = _context(request, form=form)
    if form.is_valid():
        data = form.cleaned_data
        filters = form.filters()
        trend = sel.trend(
            membership, filters, grain=data["grain"], measure=data["measure"], split=data["split"]
        )
        comp = sel.composition(
            membership,
            filters,
            dimension=data["dimension"],
            measure=data["measure"],
            top=data["top"],
        )
        measure_label = str(dict(forms.MEASURES)[data["measure"]])
        context.update(
            trend=trend,
            comp=comp,
            measure_label=measure_label,
            dimension_label=dict(forms.DIMENSIONS)[data["dimension"]],
            trend_chart=trend_options(trend, measure_label),
            comp_chart=composition_options(comp),
            chips=_chips(form),
            filters=filters,
            total=trend.total(),
            previous_total=trend.previous_total(),
            profit_total=trend.total("profit"),
            purchases_total=int(trend.total("purchases")),
        )
    return render(request, f"{T}/sales_analysis.html", context)


@login_required
@require_GET
def pareto_page(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    form = forms.ParetoForm(request.GET, membership=membership)
    context = _context(request, form=form)
    if form.is_valid():
        data = form.cleaned_data
        filters = form.filters()
        p = sel.pareto(membership, filters, subject=data["subject"], measure=data["measure"])
        context.update(
            pareto=p,
            subject=data["subject"],
            measure=data["measure"],
            curve_chart=pareto_options(p),
            bars_chart=pareto_bars(p),
            chips=_chips(form),
            filters=filters,
        )
    return render(request, f"{T}/sales_pareto.html", context)


@login_required
@require_GET
def funnel_page(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    form = forms.FunnelForm(request.GET, membership=membership)
    context = _context(request, form=form)
    if form.is_valid():
        filters = form.funnel_filters()
        conv = fs.conversion(membership, filters)
        fc = fs.forecast(
            membership, filters, start=timezone.localdate(), months=form.cleaned_data["months"]
        )
        context.update(
            stages=fs.pipeline_by_stage(membership, filters),
            conversion=conv,
            times=fs.time_in_stage(membership, filters),
            forecast=fc,
            leads=fs.lead_funnel(membership, filters),
            funnel_chart=funnel_options(conv),
            forecast_chart=forecast_options(fc),
            filters=filters,
        )
    return render(request, f"{T}/funnel.html", context)
