"""What the sales pipeline adds to the shared registries (navigation, tabs, jobs)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.web.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        key="sales_settings",
        label=_("Sales settings"),
        url_name="sales:settings",
        icon="adjustments-dollar",
        object_type="organisation",
        section="settings",
        order=60,
    )
)
