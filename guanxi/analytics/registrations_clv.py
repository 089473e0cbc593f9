"""What the lifetime-value model adds to the shared registries: its page in the
analysis switcher. (The nightly metrics refresh fits the model and scores the customers;
see guanxi.analytics.metrics_services.apply_clv.)"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.analytics.registrations import ANALYTICS, ANALYTICS_SECTION
from guanxi.web.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        key="analytics_clv",
        label=_("Lifetime value model"),
        url_name="analytics:clv",
        icon="chart-line",
        object_type=ANALYTICS,
        section=ANALYTICS_SECTION,
        order=35,
    )
)
