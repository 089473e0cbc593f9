"""What behavioural types add to the shared registries: the analysis area's "Behavioural
types" page, the customer page's tab (order 72) and header badges, and the demo data."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.registrations import ANALYTICS, ANALYTICS_SECTION
from guanxi.core.permissions import VIEW, has_perm
from guanxi.parties.record_views import (
    VALUE_BADGE_PROVIDERS,
    PartyTabProvider,
    Tab,
    ValueBadge,
    register_party_tab,
)
from guanxi.web.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        key="analytics_behaviour",
        label=_("Behavioural types"),
        url_name="analytics:behaviour_list",
        icon="mood-search",
        object_type=ANALYTICS,
        section=ANALYTICS_SECTION,
        order=90,
    )
)


def behaviour_tab(request: HttpRequest, party: object) -> Tab | None:
    membership = getattr(request, "membership", None)
    if not has_perm(membership, VIEW, "party"):
        return None
    return Tab(
        "behaviour",
        _("Behavioural type"),
        reverse("analytics:behaviour_party_tab", args=[party.pk]),  # type: ignore[attr-defined]
    )


register_party_tab(PartyTabProvider(key="behaviour", order=72, tab=behaviour_tab))


def behaviour_badges(party: object) -> Iterable[ValueBadge]:
    """The customer's types as header badges (one query)."""
    from guanxi.analytics.behaviour.selectors import types_of

    return [
        ValueBadge(label=t.name, color=t.color, title=_("Behavioural type"))
        for t in types_of(party)
    ]


if behaviour_badges not in VALUE_BADGE_PROVIDERS:
    VALUE_BADGE_PROVIDERS.append(behaviour_badges)

from guanxi.analytics.behaviour import demo  # noqa: E402,F401
