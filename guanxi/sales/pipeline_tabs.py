"""The customer page's "Opportunities" tab (360°): the customer's opportunities the member
may see, with a link to add one."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.core.permissions import VIEW, has_perm
from guanxi.parties.record_views import PartyTabProvider, Tab, register_party_tab


def opportunities_tab(request: HttpRequest, party: object) -> Tab | None:
    from guanxi.sales.pipeline_selectors import party_opportunities

    membership = getattr(request, "membership", None)
    if not has_perm(membership, VIEW, "opportunity"):
        return None
    count = party_opportunities(membership, party).count()
    return Tab(
        "opportunities",
        _("Opportunities"),
        reverse("sales:party_opportunities_tab", args=[party.pk]),  # type: ignore[attr-defined]
        count,
    )


register_party_tab(PartyTabProvider(key="opportunities", order=40, tab=opportunities_tab))
