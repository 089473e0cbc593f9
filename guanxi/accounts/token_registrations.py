"""The API tokens page in the settings menu (the user menu); every member has one."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.web.navigation import NavItem, register_nav_item

register_nav_item(
    NavItem(
        key="tokens",
        label=_("API tokens"),
        url_name="accounts:token_list",
        icon="key",
        section="settings",
        order=90,
    )
)
