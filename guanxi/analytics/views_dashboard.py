"""The analysis dashboard (H5), the person page (C4) and the customer list the dashboard's
charts drill into.

Views parse the request, call the dashboard selectors and build the ECharts options; every
chart item carries the URL of the records behind it. Pages need VIEW on "analytics"; the
figures follow the visibility of the records behind them (see dashboard_selectors).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from guanxi.activities.selectors import keyset_page
from guanxi.analytics import dashboard_selectors as sel
from guanxi.analytics.navigation import analytics_context
from guanxi.analytics.registrations import ANALYTICS
from guanxi.core.permissions import VIEW, require_perm
from guanxi.parties.selectors import visible_parties
from guanxi.web.forms import StyledFormMixin

T = "analytics"
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


class PeriodForm(StyledFormMixin, forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=list(sel.PERIODS.items()),
        required=False,
    )
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, today: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.period_value: sel.Period | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.period_value = sel.resolve_period(
                data.get("period") or None, data.get("start"), data.get("end"), today=self.today
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return data


def parse_period(params: Any, today: datetime.date) -> tuple[PeriodForm, sel.Period, bool]:
    """The period of the query string; on bad input the form carries the field errors and
    the default period is used (the page says so)."""
    form = PeriodForm(params, today=today)
    if form.is_valid() and form.period_value is not None:
        return form, form.period_value, True
    return form, sel.resolve_period(sel.DEFAULT_PERIOD, today=today), False


# --- chart options -------------------------------------------------------------------------


def _num(value: Decimal | int | None) -> float:
    return float(value or 0)


def _url(name: str, params: dict[str, Any] | None = None, args: Any = None) -> str:
    url = reverse(name, args=args)
    clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    return f"{url}?{urlencode(clean)}" if clean else url


def _ledger_params(period: sel.Period) -> dict[str, str]:
    return {"date_from": period.start.isoformat(), "date_to": period.last_day.isoformat()}


def trend_options(points: list[sel.TrendPoint], unit: str, extra: dict[str, Any]) -> dict:
    labels, data = [], []
    for point in points:
        if unit == "day":
            first, last = point.day, point.day
            labels.append(point.day.strftime("%m-%d"))
        else:
            first = point.day
            last = (point.day + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(
                days=1
            )
            labels.append(point.day.strftime("%Y-%m"))
        params = {"date_from": first.isoformat(), "date_to": last.isoformat(), **extra}
        data.append({"value": _num(point.amount), "url": _url("finance:sales_ledger", params)})
    return {
        "grid": {"left": 60, "right": 20, "top": 20, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value"},
        "series": [{"type": "bar", "name": _("Revenue"), "data": data}],
    }


def ranking_options(labels: list[str], items: list[dict[str, Any]], name: str) -> dict:
    """A horizontal bar ranking, the largest at the top."""
    return {
        "grid": {"left": 140, "right": 30, "top": 10, "bottom": 30},
        "xAxis": {"type": "value"},
        "yAxis": {
            "type": "category",
            "data": labels[::-1],
            "axisLabel": {"width": 130, "overflow": "truncate"},
        },
        "series": [{"type": "bar", "name": name, "data": items[::-1]}],
    }


def products_options(rows: list[sel.Ranked], period: sel.Period) -> dict:
    items = [
        {
            "value": _num(r.amount),
            "name": r.label,
            "url": _url("finance:sales_ledger", {"product": r.key, **_ledger_params(period)}),
        }
        for r in rows
    ]
    return ranking_options([r.label for r in rows], items, _("Revenue"))


def people_options(rows: list[sel.Ranked], period: sel.Period) -> dict:
    items = [
        {
            "value": _num(r.amount),
            "name": r.label,
            "url": _url("analytics:person", period.as_params(), args=[r.key]),
        }
        for r in rows
    ]
    return ranking_options([r.label for r in rows], items, _("Revenue"))


def customers_options(rows: list[sel.Ranked]) -> dict:
    items = [
        {
            "value": _num(r.amount),
            "name": r.label,
            "url": reverse("parties:party_detail", args=[r.key]),
        }
        for r in rows
    ]
    return ranking_options([r.label for r in rows], items, _("Revenue"))


def pipeline_options(rows: list[sel.StageRow], owner_id: int | None = None) -> dict:
    labels = [r.name for r in rows]

    def url(row: sel.StageRow) -> str:
        return _url(
            "sales:opportunity_list", {"stage": row.stage_id, "status": "open", "owner": owner_id}
        )

    return {
        "grid": {"left": 60, "right": 20, "top": 30, "bottom": 40},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value"},
        "series": [
            {
                "type": "bar",
                "name": _("Amount"),
                "data": [{"value": _num(r.amount), "url": url(r)} for r in rows],
            },
            {
                "type": "bar",
                "name": _("Weighted"),
                "data": [{"value": _num(r.weighted), "url": url(r)} for r in rows],
            },
        ],
    }


def buckets_options(rows: list[sel.Bucket], param: str, period: sel.Period) -> dict:
    return {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "70%"],
                "data": [
                    {
                        "value": r.count,
                        "name": r.label,
                        "url": _url("analytics:dashboard_customers", {param: r.key}),
                    }
                    for r in rows
                ],
            }
        ],
    }


def regions_options(rows: list[sel.Bucket]) -> dict:
    shown = rows[:15]
    items = [
        {
            "value": r.count,
            "name": r.label,
            "url": _url("analytics:dashboard_customers", {"province": r.key}),
        }
        for r in shown
    ]
    return ranking_options([r.label for r in shown], items, _("Customers"))


# --- pages ---------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    today = timezone.localdate()
    form, period, valid = parse_period(request.GET, today)
    data = sel.dashboard(membership, period, today=today)
    period_params = period.as_params()
    charts = {
        "trend": trend_options(data.trend, data.trend_unit, {}),
        "products": products_options(data.products, period),
        "people": people_options(data.people, period),
        "pipeline": pipeline_options(data.pipeline),
        "regions": regions_options(data.regions),
        "ages": buckets_options(data.ages, "band", period),
    }
    segment_url = {
        key: _url("analytics:dashboard_customers", {"segment": key, **period_params})
        for key in ("new", "lapsed_in", "lapsed")
    }
    return render(
        request,
        f"{T}/dashboard.html",
        analytics_context(
            request,
            form=form,
            data=data,
            charts=charts,
            segment_url=segment_url,
            lapsed_days=sel.LAPSED_DAYS,
            ledger_url=_url("finance:sales_ledger", _ledger_params(period)),
            pipeline_total=sum((r.amount for r in data.pipeline), Decimal("0")),
            pipeline_weighted=sum((r.weighted for r in data.pipeline), Decimal("0")),
            pipeline_count=sum(r.count for r in data.pipeline),
        ),
        status=200 if valid else 400,
    )


CUSTOMER_ORDER = ("name", "id")


class CustomerFilterForm(forms.Form):
    segment = forms.ChoiceField(
        required=False,
        choices=[
            ("", ""),
            ("new", gettext_lazy("New customers")),
            ("lapsed_in", gettext_lazy("Lapsed in the period")),
            ("lapsed", gettext_lazy("Lapsed customers")),
        ],
    )
    province = forms.CharField(required=False, max_length=40)
    band = forms.ChoiceField(
        required=False, choices=[("", ""), *[(k, v) for k, v in sel.BAND_LABELS.items()]]
    )


@login_required
@require_GET
def dashboard_customers(request: HttpRequest) -> HttpResponse:
    """The customers behind a dashboard figure: new or lapsed in the period, of a
    province, of an age band. Visible customers only, by name, keyset-paged."""
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    today = timezone.localdate()
    period_form, period, period_ok = parse_period(request.GET, today)
    form = CustomerFilterForm(request.GET)
    valid = form.is_valid() and period_ok
    data = form.cleaned_data if form.is_valid() else {}
    qs = visible_parties(membership).select_related("owner")
    titles = []
    if data.get("segment"):
        qs = qs.filter(pk__in=sel.customer_segment(membership, period, data["segment"], today))
        titles.append(f"{dict(form.fields['segment'].choices)[data['segment']]} · {period.label}")  # type: ignore[attr-defined]
    if data.get("province"):
        province = "" if data["province"] == sel.NO_PROVINCE else data["province"]
        qs = qs.filter(province=province)
        titles.append(province or _("Province unknown"))
    if data.get("band"):
        qs = sel.with_age_band(qs, today).filter(band=data["band"])
        titles.append(str(sel.BAND_LABELS[data["band"]]))
    page = keyset_page(
        qs.order_by(*CUSTOMER_ORDER),
        CUSTOMER_ORDER,
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    return render(
        request,
        f"{T}/dashboard_customers.html",
        analytics_context(
            request,
            page=page,
            form=form,
            period_form=period_form,
            titles=titles,
        ),
        status=200 if valid else 400,
    )


@login_required
@require_GET
def person(request: HttpRequest, user_id: int) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    today = timezone.localdate()
    form, period, valid = parse_period(request.GET, today)
    summary = sel.person_summary(membership, user_id, period, today=today)
    charts = {
        "trend": trend_options(summary.trend, summary.trend_unit, {"owner": user_id}),
        "pipeline": pipeline_options(summary.pipeline, owner_id=user_id),
        "customers": customers_options(summary.customers),
    }
    return render(
        request,
        f"{T}/person.html",
        analytics_context(
            request,
            form=form,
            summary=summary,
            charts=charts,
            ledger_url=_url("finance:sales_ledger", {"owner": user_id, **_ledger_params(period)}),
        ),
        status=200 if valid else 400,
    )
