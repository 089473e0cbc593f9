"""Pages of the customer metrics: the metrics list (with the RFM segment chart), the
churn-risk list (with the visit plan and the churn rate per group), the refresh button
and its progress bar, the analysis settings, and the customer page's "Analysis" tab.

Views parse the request, call one selector or service and render. Every page needs the
analytics VIEW permission; refreshing and the settings need CHANGE. Rows follow the
visibility of the customers behind them; a hidden customer is a 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.analytics import metrics_selectors as sel
from guanxi.analytics import metrics_services as svc
from guanxi.analytics.forms_metrics import AnalyticsSettingsForm, PlanVisitsForm
from guanxi.analytics.models import MetricsRun, RfmSegment
from guanxi.analytics.navigation import analytics_context
from guanxi.analytics.registrations import ANALYTICS
from guanxi.core.permissions import CHANGE, VIEW, has_perm, require_perm

PAGE_SIZE = 50
T = "analytics"
# Colours of the segment chart, best to worst.
SEGMENT_COLOURS = {
    "champions": "#2fb344",
    "loyal": "#5eba00",
    "potential_loyalist": "#74b816",
    "new": "#17a2b8",
    "promising": "#4299e1",
    "need_attention": "#f59f00",
    "about_to_sleep": "#f76707",
    "at_risk": "#d63939",
    "cannot_lose": "#ae3ec9",
    "hibernating": "#868e96",
    "lost": "#495057",
}


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """The page's context with the analysis area's switcher."""
    membership = _membership(request)
    return analytics_context(
        request,
        can_refresh=has_perm(membership, CHANGE, ANALYTICS),
        latest_run=sel.latest_run(membership.org_id) if membership else None,
        **extra,
    )


def _owners(org_id: int) -> list[tuple[str, str]]:
    from guanxi.accounts.models import Membership

    rows = (
        Membership.objects.filter(org_id=org_id, is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    return [(str(m.user_id), str(m.user)) for m in rows]


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _sorts(filters: sel.Filters, base: str) -> dict[str, str]:
    return {key: f"{base}?{urlencode({**filters.as_params(), 'sort': key})}" for key in sel.SORTS}


def segment_chart(
    counts: list[tuple[str, str, int]], filters: sel.Filters, list_url: str
) -> dict[str, Any]:
    """ECharts options of the customers per RFM segment; each bar opens that segment."""
    data = [
        {
            "value": n,
            "url": f"{list_url}?{urlencode(filters.as_params(segment=value))}",
            "itemStyle": {"color": SEGMENT_COLOURS.get(value, "#206bc4")},
        }
        for value, _label, n in counts
    ]
    return {
        "grid": {"left": 8, "right": 16, "top": 16, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "inverse": True, "data": [label for _v, label, _n in counts]},
        "series": [{"type": "bar", "name": _("Customers"), "data": data}],
    }


def churn_rate_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "grid": {"left": 8, "right": 16, "top": 16, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [str(r["label"]) for r in rows]},
        "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {
                "type": "bar",
                "name": _("Churn rate"),
                "data": [round(r["rate"] * 100, 1) for r in rows],
            }
        ],
    }


# --- the metrics list ----------------------------------------------------------------------


@login_required
@require_GET
def metrics_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    filters = sel.Filters.from_query(request.GET)
    sort = request.GET.get("sort", "value")
    sort = sort if sort in sel.SORTS else "value"
    page = _page(request, sel.metrics_list(membership, filters, sort))
    base = reverse("analytics:metrics")
    counts = sel.counts_by(membership, filters, "segment")
    query = urlencode({**filters.as_params(), "sort": sort})
    context = _context(
        request,
        page=page,
        filters=filters,
        sort=sort,
        sorts=_sorts(filters, base),
        query=query,
        counts=counts,
        chart=segment_chart(counts, filters, base),
        choices={name: enum.choices for name, enum in sel.CHOICES.items()},
        owners=_owners(membership.org_id),
    )
    if _is_htmx(request) and request.GET.get("page"):
        return render(request, f"{T}/metrics_list.html#rows", context)
    return render(request, f"{T}/metrics_list.html", context)


# --- the churn-risk list -----------------------------------------------------------------


def _churn_context(
    request: HttpRequest, form: PlanVisitsForm | None = None, **extra: Any
) -> dict[str, Any]:
    membership = _membership(request)
    config = svc.get_settings(membership.org_id)
    filters = sel.Filters.from_query(request.GET)
    sort = request.GET.get("sort", "churn")
    sort = sort if sort in sel.SORTS else "churn"
    page = _page(request, sel.churn_list(membership, filters, config, sort))
    group = request.GET.get("group", "category")
    group = group if group in ("category", "tier") else "category"
    rates = sel.churn_rate_by_group(membership, config, group)
    base = reverse("analytics:churn")
    return _context(
        request,
        page=page,
        filters=filters,
        sort=sort,
        sorts=_sorts(filters, base),
        query=urlencode({**filters.as_params(), "sort": sort}),
        config=config,
        by_owner=sel.at_risk_by_owner(membership, filters, config),
        rates=rates,
        group=group,
        rate_chart=churn_rate_chart(rates),
        choices={name: enum.choices for name, enum in sel.CHOICES.items()},
        owners=_owners(membership.org_id),
        form=form or PlanVisitsForm(),
        can_plan=has_perm(membership, "add", "activity"),
        **{"selected": set(), **extra},
    )


@login_required
@require_GET
def churn_list(request: HttpRequest) -> HttpResponse:
    require_perm(_membership(request), VIEW, ANALYTICS)
    return render(request, f"{T}/metrics_churn.html", _churn_context(request))


@login_required
@require_POST
def plan_visits(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    require_perm(membership, "add", "activity")
    form = PlanVisitsForm(request.POST)
    selected = request.POST.getlist("customers")
    if form.is_valid():
        try:
            created = svc.plan_visits(
                org=membership.org,
                actor=request.user,
                membership=membership,
                party_ids=selected,
                due_date=form.cleaned_data.get("due_date"),
                note=form.cleaned_data.get("note") or "",
            )
        except ValidationError as error:
            for field, field_messages in error.message_dict.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                _("%(n)d visits planned; they are in the owners' tasks.") % {"n": len(created)},
            )
            target = reverse("analytics:churn")
            query = request.POST.get("query", "")
            return redirect(f"{target}?{query}" if query else target)
    context = _churn_context(request, form=form, selected=set(selected))
    return render(request, f"{T}/metrics_churn.html", context, status=400)


# --- refresh and its progress ------------------------------------------------------------


@login_required
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, CHANGE, ANALYTICS)
    run = svc.start_refresh(org=membership.org, actor=request.user)
    if _is_htmx(request):
        return render(request, f"{T}/metrics_progress.html", {"run": run, "polling": True})
    return redirect("analytics:metrics")


@login_required
@require_GET
def run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    run = MetricsRun.objects.filter(org_id=membership.org_id, pk=run_id).first()
    if run is None:
        raise Http404
    response = render(
        request, f"{T}/metrics_progress.html", {"run": run, "polling": not run.is_finished}
    )
    if run.is_finished and _is_htmx(request) and request.GET.get("reload"):
        response["HX-Refresh"] = "true"
    return response


# --- settings --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    can_change = has_perm(membership, CHANGE, ANALYTICS)
    config = svc.get_settings(membership.org_id)
    status = 200
    if request.method == "POST":
        require_perm(membership, CHANGE, ANALYTICS)
        form = AnalyticsSettingsForm(request.POST, instance=svc.get_settings(membership.org_id))
        if form.is_valid():
            try:
                svc.update_settings(
                    org=membership.org_id, actor=request.user, data=form.settings_data()
                )
            except ValidationError as error:
                for field, field_messages in error.message_dict.items():
                    for message in field_messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(
                    request,
                    _("The analysis settings have been saved. They apply from the next refresh."),
                )
                return redirect("analytics:metrics_settings")
        status = 400
    else:
        form = AnalyticsSettingsForm(instance=config, read_only=not can_change)
    return render(
        request,
        f"{T}/metrics_settings.html",
        _context(request, form=form, can_change=can_change),
        status=status,
    )


# --- the customer page's tab ---------------------------------------------------------------


@login_required
@require_GET
def party_tab(request: HttpRequest, party_id: int) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    found = sel.party_metrics(membership, party_id)
    config = svc.get_settings(membership.org_id)
    context = {
        "m": found,
        "items": sel.explain(found, config) if found is not None else [],
        "segments": RfmSegment,
    }
    return render(request, f"{T}/metrics_party_tab.html", context)
