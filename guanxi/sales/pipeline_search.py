"""The global search box finds opportunities (by name or customer) and leads (by subject,
company, person, phone or e-mail) the member may see."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.search import SearchHit, SearchProvider, register_search_provider


def search_opportunities(request: HttpRequest, query: str, limit: int) -> list[SearchHit]:
    from guanxi.sales.pipeline_selectors import OpportunityFilters, filtered_opportunities

    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    rows = filtered_opportunities(membership, OpportunityFilters(query=query)).order_by(
        "-created_at", "-id"
    )[:limit]
    return [
        SearchHit(
            title=opp.name,
            url=reverse("sales:opportunity_detail", args=[opp.pk]),
            subtitle=f"{opp.party} · {opp.stage.name} · {opp.amount:,.2f}",
        )
        for opp in rows
    ]


def search_leads(request: HttpRequest, query: str, limit: int) -> list[SearchHit]:
    from guanxi.sales.pipeline_selectors import filtered_leads

    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    rows = filtered_leads(membership, query=query)[:limit]
    return [
        SearchHit(
            title=lead.title,
            url=reverse("sales:lead_detail", args=[lead.pk]),
            subtitle=" · ".join(
                part for part in (lead.company, lead.person_name, lead.get_status_display()) if part
            ),
        )
        for lead in rows
    ]


register_search_provider(
    SearchProvider(
        key="opportunities",
        label=_("Opportunities"),
        object_type="opportunity",
        search=search_opportunities,
        order=30,
    )
)
register_search_provider(
    SearchProvider(key="leads", label=_("Leads"), object_type="lead", search=search_leads, order=31)
)
