"""What the sales analysis adds to the shared registries: the "Sales analysis", "Pareto"
and "Funnel" pages of the analysis area's switcher."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.analytics.registrations import ANALYTICS, ANALYTICS_SECTION
from guanxi.web.navigation import NavItem, register_nav_item

for _key, _label, _url_name, _icon, _order in (
    ("analytics_sales", _("Sales analysis"), "analytics:sales", "chart-line", 20),
    ("analytics_pareto", _("Pareto"), "analytics:pareto", "chart-arrows-vertical", 30),
    ("analytics_funnel", _("Funnel"), "analytics:funnel", "chart-funnel", 40),
):
    register_nav_item(
        NavItem(
            key=_key,
            label=_label,
            url_name=_url_name,
            icon=_icon,
            object_type=ANALYTICS,
            section=ANALYTICS_SECTION,
            order=_order,
        )
    )
