"""What the dashboard adds to the shared registries: the top bar's "Analysis" entry and
the analysis area's "Dashboard" page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.analytics.registrations import ANALYTICS, ANALYTICS_SECTION
from guanxi.web.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        key="analytics",
        label=_("Analysis"),
        url_name="analytics:dashboard",
        icon="chart-bar",
        object_type=ANALYTICS,
        order=25,
    )
)
register_nav_item(
    NavItem(
        key="analytics_dashboard",
        label=_("Dashboard"),
        url_name="analytics:dashboard",
        icon="layout-dashboard",
        object_type=ANALYTICS,
        section=ANALYTICS_SECTION,
        order=10,
    )
)
