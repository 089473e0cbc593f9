"""What the core app adds to the shared registries: the recycle bin page in the settings menu."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.web.navigation import NavItem, register_nav_item

# Everyone with an organisation: the page itself shows only what the member may see.
register_nav_item(
    NavItem(
        key="recycle_bin",
        label=_("Recycle bin"),
        url_name="core:recycle_bin",
        icon="trash",
        section="settings",
        order=90,
    )
)
