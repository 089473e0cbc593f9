"""Pages of the basket analysis: the rules list (filters, sort, keyset pages, chart, run
status and "Mine now"), the thresholds, the customer page's cross-sell tab and the
suggestions partial of the quote and order editors."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.activities.selectors import keyset_page
from guanxi.analytics.basket import selectors as sel
from guanxi.analytics.basket import services as svc
from guanxi.analytics.basket.forms import BasketSettingsForm, RuleFilterForm
from guanxi.analytics.navigation import analytics_context
from guanxi.analytics.registrations import ANALYTICS
from guanxi.core.permissions import CHANGE, VIEW, get_visible_or_404, has_perm, require_perm

T = "basket"
MAX_SUGGESTION_PRODUCTS = 50


def _membership(request: HttpRequest) -> Any:
    return getattr(request, "membership", None)


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)


_context = analytics_context


def _sort_links(request: HttpRequest, current: str) -> dict[str, str]:
    params = {k: v for k, v in request.GET.items() if k not in ("sort", "cursor")}
    return {key: "?" + urlencode({**params, "sort": key}) for key in sel.SORTS}


def _pct(value: float) -> float:
    return round(value * 100, 2)


def chart_options(rules: list[Any]) -> dict[str, Any]:
    """A support × lift scatter: one point per rule, sized by confidence; clicking a
    point opens the suggested product."""
    data = [
        {
            "value": [_pct(rule.support), round(rule.lift, 3), _pct(rule.confidence)],
            "name": f"{rule.antecedent.name}"
            + (f" + {rule.antecedent_2.name}" if rule.antecedent_2_id else "")
            + f" → {rule.consequent.name}",
            "url": reverse("catalog:product_detail", args=[rule.consequent_id]),
        }
        for rule in rules
    ]
    return {
        "tooltip": {"trigger": "item"},
        "grid": {"left": 56, "right": 24, "top": 24, "bottom": 48},
        "xAxis": {
            "type": "value",
            "name": _("Support (%)"),
            "nameLocation": "middle",
            "nameGap": 28,
        },
        "yAxis": {"type": "value", "name": _("Lift"), "scale": True},
        "series": [
            {
                "type": "scatter",
                "name": _("Rules"),
                "data": data,
                "symbolSize": 12,
            }
        ],
    }


@login_required
@require_GET
def basket_rules(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, VIEW, ANALYTICS)
    form = RuleFilterForm(request.GET or None)
    filters = form.filters()
    sort = request.GET.get("sort") or sel.DEFAULT_SORT
    if sort not in sel.SORTS:
        sort = sel.DEFAULT_SORT
    page = keyset_page(
        sel.filtered_rules(membership, filters),
        sel.SORTS[sort],
        request.GET.get("cursor"),
        settings.GUANXI_PAGE_SIZE,
    )
    context = _context(
        request,
        filter_form=form,
        page=page,
        sort=sort,
        sort_links=_sort_links(request, sort),
        run=sel.latest_run(membership.org_id),
        thresholds=sel.settings_of(membership.org_id),
        can_change=has_perm(membership, CHANGE, ANALYTICS),
    )
    if _is_htmx(request):
        return render(request, f"{T}/rules.html#rows", context)
    context["chart"] = chart_options(sel.chart_rules(membership, filters))
    return render(request, f"{T}/rules.html", context)


@login_required
@require_POST
def basket_mine(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    run = svc.request_mining(membership)
    run.refresh_from_db()
    if _is_htmx(request):
        response = render(request, f"{T}/_run.html", {"run": run, "can_change": True})
        if not run.is_active:
            # Finished at once (a small organisation, or an in-process task backend).
            response["HX-Refresh"] = "true"
        return response
    messages.success(request, _("Mining started. The rules refresh when it is done."))
    return redirect("analytics:basket_rules")


@login_required
@require_GET
def basket_run_status(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    run = sel.get_run_for_user(membership, pk)
    response = render(
        request,
        f"{T}/_run.html",
        {"run": run, "can_change": has_perm(membership, CHANGE, ANALYTICS)},
    )
    if not run.is_active and request.GET.get("poll"):
        # The run just finished: reload the page so the table shows the new rules.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def basket_settings(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    require_perm(membership, CHANGE, ANALYTICS)
    current = sel.settings_of(membership.org_id)
    form = BasketSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            svc.update_settings(
                membership, {name: form.cleaned_data[name] for name in svc.SETTINGS_FIELDS}
            )
        except ValidationError as error:
            for name, field_messages in error.message_dict.items():
                for message in field_messages:
                    form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("The thresholds were saved. Mine again to apply them."))
            return redirect("analytics:basket_rules")
    return render(request, f"{T}/settings.html", _context(request, form=form))


@login_required
@require_GET
def basket_party_tab(request: HttpRequest, party_pk: int) -> HttpResponse:
    from guanxi.parties.models import Party

    membership = _membership(request)
    party = get_visible_or_404(Party.objects.all(), membership, "party", pk=party_pk)
    require_perm(membership, VIEW, ANALYTICS)
    return render(
        request,
        f"{T}/party_tab.html",
        {"party": party, "suggestions": sel.suggestions_for_party(membership, party)},
    )


def _product_ids(request: HttpRequest) -> list[int]:
    """`product=<id>` (repeated), or the line editor's own `lines-<n>-product` fields."""
    raws = list(request.GET.getlist("product"))
    for key in request.GET:
        if key.endswith("-product"):
            raws.extend(request.GET.getlist(key))
    ids: list[int] = []
    for raw in raws[:MAX_SUGGESTION_PRODUCTS]:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            continue
        if value > 0:
            ids.append(value)
    return ids


@login_required
@require_GET
def basket_suggestions(request: HttpRequest) -> HttpResponse:
    """The editor's partial: products that go with the lines entered so far (ids the
    member may not see, or that are not numbers, are ignored)."""
    membership = _membership(request)
    suggestions = []
    if has_perm(membership, VIEW, ANALYTICS):
        suggestions = sel.suggestions_for_products(membership, _product_ids(request))
    return render(request, f"{T}/_suggestions.html", {"suggestions": suggestions})
