"""What the customer metrics add to the shared registries: their pages in the analysis
switcher and the settings menu, the nightly refresh, the customer page's "Analysis" tab
and value badges, and the demo data."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.registrations import ANALYTICS, ANALYTICS_SECTION
from guanxi.core.periodic import register_periodic_job
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
        key="analytics_metrics",
        label=_("Customer metrics"),
        url_name="analytics:metrics",
        icon="chart-dots-3",
        object_type=ANALYTICS,
        section=ANALYTICS_SECTION,
        order=30,
    )
)
register_nav_item(
    NavItem(
        key="analytics_churn",
        label=_("Churn risk"),
        url_name="analytics:churn",
        icon="user-exclamation",
        object_type=ANALYTICS,
        section=ANALYTICS_SECTION,
        order=31,
    )
)
register_nav_item(
    NavItem(
        key="analytics_settings",
        label=_("Analysis settings"),
        url_name="analytics:metrics_settings",
        icon="adjustments-alt",
        object_type=ANALYTICS,
        section="settings",
        order=70,
    )
)


def _periodic() -> None:
    from guanxi.analytics.tasks import refresh_all_metrics

    register_periodic_job(
        "analytics.refresh_metrics",
        "30 18 * * *",  # 02:30 in Asia/Shanghai
        refresh_all_metrics,
        _("Recompute every customer's metrics (RFM, tiers, lifecycle, churn, lifetime value)"),
    )


_periodic()


def analysis_tab(request: HttpRequest, party: Any) -> Tab | None:
    membership = getattr(request, "membership", None)
    if not has_perm(membership, VIEW, ANALYTICS):
        return None
    return Tab("analysis", _("Analysis"), reverse("analytics:metrics_party_tab", args=[party.pk]))


register_party_tab(PartyTabProvider(key="analysis", order=70, tab=analysis_tab))

TIER_COLOURS = {"vip": "red", "major": "orange", "ordinary": "blue", "small": "secondary"}
SEGMENT_COLOURS = {
    "champions": "green",
    "loyal": "green",
    "potential_loyalist": "teal",
    "new": "cyan",
    "promising": "cyan",
    "need_attention": "yellow",
    "about_to_sleep": "orange",
    "at_risk": "red",
    "cannot_lose": "purple",
    "hibernating": "secondary",
    "lost": "dark",
}


def value_badges(party: Any) -> list[ValueBadge]:
    """The customer's value tier and RFM segment (one query)."""
    from guanxi.analytics.models import CustomerMetrics

    found = (
        CustomerMetrics.objects.filter(org_id=party.org_id, party_id=party.pk)
        .values_list("value_tier", "rfm_segment")
        .first()
    )
    if found is None:
        return []
    tier, segment = found
    badges = []
    if tier:
        badges.append(
            ValueBadge(
                CustomerMetrics(value_tier=tier).get_value_tier_display(),
                TIER_COLOURS.get(tier, "blue"),
                _("Value tier"),
            )
        )
    if segment:
        badges.append(
            ValueBadge(
                CustomerMetrics(rfm_segment=segment).get_rfm_segment_display(),
                SEGMENT_COLOURS.get(segment, "blue"),
                _("RFM segment"),
            )
        )
    return badges


if value_badges not in VALUE_BADGE_PROVIDERS:
    VALUE_BADGE_PROVIDERS.append(value_badges)

from guanxi.analytics import demo  # noqa: E402,F401
